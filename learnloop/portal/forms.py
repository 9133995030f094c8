"""The portal's filters and the walkthrough forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.people import PersonChoice, offer_people
from learnloop.incidents.forms import DATETIME
from learnloop.incidents.models import Severity
from learnloop.insights.names import offer_named
from learnloop.lib.widgets import ListedSelect, NamedChoice
from learnloop.narratives.models import Walkthrough, WalkthroughKind

DATE = forms.DateInput(attrs={"type": "date"})


class PortalFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", max_length=200)
    team = NamedChoice()
    service = NamedChoice()
    severity = forms.TypedChoiceField(
        choices=[("", "any"), *list(Severity.choices)],
        required=False,
        widget=ListedSelect,
        coerce=int,
        empty_value=None,
    )
    theme = NamedChoice()
    published_from = forms.DateField(required=False, widget=DATE, label="Published from")
    published_to = forms.DateField(required=False, widget=DATE, label="to")

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_named(self, membership, ["team", "service", "theme"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("published_from"), data.get("published_to")
        if start and end and end < start:
            self.add_error("published_to", "The end of the range is before its start.")
        return data

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of queries.published, from valid data."""
        data = self.cleaned_data
        return {
            "text": data["q"] or "",
            "team": data["team"] or None,
            "service": data["service"] or None,
            "severity": data["severity"],
            "theme": data["theme"] or None,
            "published_from": data["published_from"],
            "published_to": data["published_to"],
        }

    def chosen_team(self) -> dict[str, str] | None:
        """The team chosen in valid data, its slug and name (for its feed's link)."""
        slug = self.cleaned_data["team"]
        return {"slug": slug, "name": self.fields["team"].name_of(slug)} if slug else None  # type: ignore[attr-defined]


class WalkthroughTimesForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DATETIME, label="Starts")
    ends_at = forms.DateTimeField(widget=DATETIME, label="Ends")
    location = forms.CharField(required=False, max_length=300, help_text="A room or a call link.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The end must be after the start.")
        return data


class WalkthroughForm(WalkthroughTimesForm):
    kind = forms.ChoiceField(choices=WalkthroughKind.choices, initial=WalkthroughKind.WALKTHROUGH)
    people = PersonChoice(queryset=User.objects.none(), required=False, label="Invite people")
    teams: forms.ModelMultipleChoiceField[Team] = forms.ModelMultipleChoiceField(
        queryset=Team.objects.none(), required=False, label="Invite whole teams"
    )
    field_order = ["kind", "starts_at", "ends_at", "location", "people", "teams"]

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["people"])
        self.fields["teams"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation_id=membership.organisation_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("people") and not data.get("teams"):
            self.add_error("people", "Invite at least one person or team.")
        return data


class AttendanceForm(forms.Form):
    attended = PersonChoice(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who attended",
    )

    def __init__(self, *args: Any, walkthrough: Walkthrough, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            walkthroughs__walkthrough=walkthrough
        ).order_by("first_name", "email")
