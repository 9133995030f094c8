"""The intake source form: rules, severities and people as lines, each checked with its line."""

from __future__ import annotations

from typing import Any

from django import forms

from learnloop.accounts.models import Team
from learnloop.intake.models import IntakeKind, IntakeSource, default_severity_map


def rules_text(rules: list[dict[str, Any]]) -> str:
    lines = []
    for rule in rules:
        when = ", ".join(f"{k}={v}" for k, v in rule.get("when", {}).items()) or "*"
        to = rule.get("team", "") + (f"/{rule['service']}" if rule.get("service") else "")
        lines.append(f"{when} -> {to}")
    return "\n".join(lines)


def _pairs(text: str) -> list[tuple[int, str, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip().startswith("#"):
            continue
        left, sign, right = line.partition("=")
        if not sign or not left.strip() or not right.strip():
            raise forms.ValidationError(f"Line {number}: expected 'name = value'.")
        found.append((number, left.strip(), right.strip()))
    return found


class SourceForm(forms.Form):
    kind = forms.ChoiceField(choices=IntakeKind.choices)
    name = forms.CharField(max_length=200)
    team = forms.ModelChoiceField(Team.objects.none(), to_field_name="slug", label="Owner team")
    secret = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.PasswordInput,
        help_text="PagerDuty: the subscription's signing secret. Alertmanager: the bearer token "
        "or basic-auth password. Opsgenie: the X-Learnloop-Secret header's value or basic-auth "
        "password. Stored encrypted; leave empty to keep the stored one.",
    )
    rules = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: label=value, label=value -> team[/service]; '*' matches "
        "everything. The first match routes; with rules, what none matches opens nothing. "
        "Empty: every incident goes to the owner team.",
    )
    severities = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One per line: the tool's priority, urgency or severity label = 1-5 (SEV1-SEV5).",
    )
    people = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: the tool's user id or name = a person's email, for tools that "
        "name responders without an email (PagerDuty).",
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Team.objects.filter(organisation_id=organisation_id)

    @staticmethod
    def initial_of(source: IntakeSource) -> dict[str, Any]:
        table = source.severity_map or default_severity_map(source.kind)
        return {
            "kind": source.kind,
            "name": source.name,
            "team": source.team.slug,
            "rules": rules_text(source.rules),
            "severities": "\n".join(f"{k} = {v}" for k, v in table.items()),
            "people": "\n".join(f"{k} = {v}" for k, v in source.people.items()),
            "active": source.active,
        }

    def clean_rules(self) -> list[dict[str, Any]]:
        rules = []
        for number, line in enumerate(self.cleaned_data["rules"].splitlines(), start=1):
            if not line.strip() or line.strip().startswith("#"):
                continue
            left, arrow, right = line.partition("->")
            if not arrow or not right.strip():
                raise forms.ValidationError(f"Line {number}: expected 'label=value -> team'.")
            when = {}
            for part in left.split(","):
                if part.strip() in ("", "*"):
                    continue
                name, sign, value = part.partition("=")
                if not sign or not name.strip():
                    raise forms.ValidationError(
                        f"Line {number}: '{part.strip()}' is not label=value."
                    )
                when[name.strip()] = value.strip().strip('"')
            team, _, service = right.strip().partition("/")
            rules.append({"when": when, "team": team.strip(), "service": service.strip()})
        return rules

    def clean_severities(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for number, key, value in _pairs(self.cleaned_data["severities"]):
            if value not in {"1", "2", "3", "4", "5"}:
                raise forms.ValidationError(f"Line {number}: {value!r} is not a severity 1-5.")
            found[key] = int(value)
        return found

    def clean_people(self) -> dict[str, str]:
        return {k: v for _, k, v in _pairs(self.cleaned_data["people"])}
