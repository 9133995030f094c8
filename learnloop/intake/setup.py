"""Adding and changing intake sources, for the settings page and the API alike: everything is
checked and every problem named by its field (and rule) before anything is saved."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from learnloop.accounts.models import Organisation, Service, Team
from learnloop.intake.models import IntakeKind, IntakeSource


def _severity_map(value: Any, errors: dict[str, list[str]]) -> dict[str, int]:
    if not isinstance(value, dict):
        errors["severity_map"] = ["Expected an object of tool value to SEV number (1-5)."]
        return {}
    found = {}
    for key, severity in value.items():
        if isinstance(severity, bool) or severity not in (1, 2, 3, 4, 5):
            errors.setdefault("severity_map", []).append(
                f"{key}: {severity!r} is not a severity from 1 (SEV1) to 5 (SEV5)."
            )
        elif not str(key).strip() or len(str(key)) > 100:
            errors.setdefault("severity_map", []).append("A tool value must be 1-100 characters.")
        else:
            found[str(key).strip()] = int(severity)
    return found


def _rules(organisation: Organisation, value: Any, errors: dict[str, list[str]]) -> list[Any]:
    if not isinstance(value, list):
        errors["rules"] = ["Expected a list of rules."]
        return []
    teams = set(Team.objects.filter(organisation=organisation).values_list("slug", flat=True))
    services = set(Service.objects.filter(organisation=organisation).values_list("slug", flat=True))
    problems, found = [], []
    for number, rule in enumerate(value, start=1):
        if not isinstance(rule, dict) or not isinstance(rule.get("when", {}), dict):
            problems.append(f'Rule {number}: expected {{"when": {{label: value}}, "team": …}}.')
            continue
        when = rule.get("when") or {}
        if any(not isinstance(v, str | int) or isinstance(v, bool) for v in when.values()):
            problems.append(f"Rule {number}: each label's value must be text.")
        team, service = rule.get("team") or "", rule.get("service") or ""
        if team and team not in teams:
            problems.append(f"Rule {number}: there is no team '{team}'.")
        if service and service not in services:
            problems.append(f"Rule {number}: there is no service '{service}'.")
        unknown = set(rule) - {"when", "team", "service"}
        if unknown:
            problems.append(f"Rule {number}: unknown keys {', '.join(sorted(unknown))}.")
        found.append(
            {"when": {str(k): str(v) for k, v in when.items()}, "team": team, "service": service}
        )
    if problems:
        errors["rules"] = problems
    return found


def _people(value: Any, errors: dict[str, list[str]]) -> dict[str, str]:
    if not isinstance(value, dict):
        errors["people"] = ["Expected an object of tool user id or name to email address."]
        return {}
    found = {}
    for who, email in value.items():
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("people", []).append(f"{who}: {email!r} is not an email address.")
        else:
            found[str(who)] = str(email)
    return found


def save_source(
    organisation: Organisation,
    source: IntakeSource | None = None,
    **given: Any,
) -> IntakeSource:
    """Adds a source, or changes the given one with what is given (absent keys stay)."""
    source = source or IntakeSource(organisation=organisation)
    errors: dict[str, list[str]] = {}
    if "kind" in given:
        if given["kind"] not in IntakeKind.values:
            errors["kind"] = [f"Expected one of {', '.join(IntakeKind.values)}."]
        else:
            source.kind = given["kind"]
    if "name" in given:
        source.name = str(given["name"]).strip()
        if not source.name:
            errors["name"] = ["A source needs a name."]
    if "team" in given:
        team = Team.objects.filter(organisation=organisation, slug=given["team"]).first()
        if team is None:
            errors["team"] = [f"There is no team '{given['team']}'."]
        else:
            source.team = team
    if given.get("secret"):
        source.secret = str(given["secret"])
    elif source.pk is None:
        errors["secret"] = ["A source needs a secret: the tool signs or sends it."]
    if "severity_map" in given and given["severity_map"] is not None:
        source.severity_map = _severity_map(given["severity_map"], errors)
    if "rules" in given and given["rules"] is not None:
        source.rules = _rules(organisation, given["rules"], errors)
    if "people" in given and given["people"] is not None:
        source.people = _people(given["people"], errors)
    if "active" in given and given["active"] is not None:
        source.active = bool(given["active"])
    if errors:
        raise ValidationError(errors)
    source.full_clean()
    source.save()
    return source
