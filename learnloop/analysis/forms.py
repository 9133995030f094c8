from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from learnloop.accounts.models import Membership
from learnloop.accounts.people import PersonField, offer_people
from learnloop.analysis.models import (
    AnalysisAssignment,
    AssignmentRole,
    Interview,
    KeyEvent,
    LearningTheme,
    TimeEntry,
)
from learnloop.analysis.services import check_window
from learnloop.incidents.forms import DATETIME


class ThemeChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            queryset=LearningTheme.objects.none(),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )


def _org_themes(form: forms.BaseForm, organisation_id: int) -> None:
    form.fields["themes"].queryset = LearningTheme.objects.filter(  # type: ignore[attr-defined]
        organisation_id=organisation_id
    )


class ScheduleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AnalysisAssignment
        fields = ["analyst", "hours_allocated", "window_start", "window_end", "due_at"]
        widgets = {"window_start": DATETIME, "window_end": DATETIME, "due_at": DATETIME}
        labels = {"analyst": "Analyst (reassign)"}
        field_classes = {"analyst": PersonField}

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["analyst"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        times = [data.get(name) for name in ("window_start", "window_end", "due_at")]
        if all(times):
            try:
                check_window(*times)  # type: ignore[arg-type]
            except ValidationError as error:
                self.add_error(None, error)
        return data


class AddAnalystForm(forms.Form):
    analyst = PersonField(queryset=User.objects.none())
    role = forms.ChoiceField(choices=AssignmentRole.choices, initial=AssignmentRole.FACILITATOR)
    hours_allocated = forms.DecimalField(
        min_value=0.25,
        max_digits=6,
        decimal_places=2,
        required=False,
        help_text="Empty: the policy's default.",
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["analyst"])


class InterviewForm(forms.ModelForm):  # type: ignore[type-arg]
    themes = ThemeChoice()

    class Meta:
        model = Interview
        fields = ["interviewee", "interviewee_name", "held_at", "notes", "themes"]
        widgets = {"held_at": DATETIME}
        field_classes = {"interviewee": PersonField}
        labels = {
            "interviewee_name": "…or name (someone without an account)",
            "notes": "Notes (Markdown; private until you share them with the review)",
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        # Several forms share the workspace page: their element ids must not collide.
        kwargs.setdefault("auto_id", "interview_%s")
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["interviewee"])
        _org_themes(self, membership.organisation_id)


class KeyEventForm(forms.ModelForm):  # type: ignore[type-arg]
    themes = ThemeChoice()
    evidence_url = forms.URLField(
        required=False, assume_scheme="https", max_length=1000, label="Evidence link"
    )

    class Meta:
        model = KeyEvent
        fields = [
            "occurred_at",
            "precision",
            "actor_role",
            "event_type",
            "description",
            "evidence_url",
            "themes",
        ]
        widgets = {"occurred_at": DATETIME, "description": forms.Textarea(attrs={"rows": 2})}
        labels = {"occurred_at": "When (empty if unknown)", "description": "What happened"}

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "event_%s")
        super().__init__(*args, **kwargs)
        _org_themes(self, membership.organisation_id)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("occurred_at") is None and data.get("precision") not in (None, "unknown"):
            self.add_error("precision", "An event without a time has precision 'unknown'.")
        return data


class TimeEntryForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TimeEntry
        fields = ["hours", "spent_on", "note"]
        widgets = {"spent_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "time_%s")
        super().__init__(*args, **kwargs)


class ReportForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        required=False,
        label="Analysis report (Markdown)",
    )


class ThemeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LearningTheme
        fields = ["name", "description"]
