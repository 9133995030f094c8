from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.choices import BaseChoiceIterator

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.people import PersonChoice, PersonField, offer_people
from learnloop.analysis.models import Interview, KeyEvent
from learnloop.incidents.forms import DATETIME
from learnloop.incidents.models import Incident
from learnloop.lib.widgets import ListedCheckboxes, ListedChoice
from learnloop.reviews.models import FactorKind, InviteeKind
from learnloop.reviews.services import DRAFTABLE_KINDS
from learnloop.reviews.timeline import merged_timeline_for


class ScheduleReviewForm(forms.Form):
    starts_at = forms.DateTimeField(label="Starts", widget=DATETIME)
    ends_at = forms.DateTimeField(label="Ends", widget=DATETIME)
    location = forms.CharField(max_length=300, required=False, help_text="A room or a call link.")
    facilitator = PersonField(queryset=User.objects.none(), required=False)
    votes_per_attendee = forms.IntegerField(min_value=1, max_value=20, initial=3)
    stakeholders = PersonChoice(
        queryset=User.objects.none(),
        required=False,
        help_text="Responders and analysts are invited anyway; add managers and other teams.",
    )
    missing_reports_reason = forms.CharField(
        label="Why go ahead without the missing reports",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["facilitator", "stakeholders"])


# The workspace page shows several forms at once; each gets its own id prefix (auto_id) so that
# labels and ids stay unique.


class InviteeForm(forms.Form):
    user = PersonField(queryset=User.objects.none(), label="Person")
    kind = forms.ChoiceField(choices=InviteeKind.choices, initial=InviteeKind.STAKEHOLDER)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "invitee_%s")
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["user"])


class EventChoice(ListedChoice):
    """A key event of the incident, by when and whose before what (two tellings of one happening
    must be told apart here), offered in the merged timeline's order as the review shows them
    (`TimelineEvents`), whether the form is drawn first or sent back with its errors; a choice
    sent is checked against the incident's key events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(KeyEvent.objects.none(), *args, **kwargs)

    def offer(self, incident: Incident) -> None:
        self.queryset = KeyEvent.objects.filter(incident=incident)
        self.choices = TimelineEvents(incident, self.empty_label)


class TimelineEvents(BaseChoiceIterator):
    """The incident's key events as choices, from its merged timeline, read when the form is
    first drawn and once: a form that is only checked never reads it, and 2,000 key events
    read as model instances with their tellers took a tenth of a second a form."""

    def __init__(self, incident: Incident, empty_label: Any) -> None:
        self.incident = incident
        self.empty_label = empty_label

    @cached_property
    def choices(self) -> list[tuple[Any, Any]]:
        entries = merged_timeline_for(self.incident).entries
        told: list[tuple[Any, Any]] = [
            (e.event.pk, event_label(e.when, e.source, e.event.description)) for e in entries
        ]
        return told if self.empty_label is None else [("", self.empty_label), *told]

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return iter(self.choices)


def event_label(when: str, told_by: str, description: str) -> str:
    """When and whose before what, as a choice of key event is labelled."""
    return f"{when}, {told_by}: {description[:80]}"


class EvidenceEvents(EventChoice, forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Key events as a factor's evidence, each a checkbox."""


class EvidenceInterviews(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"Interview with {obj.interviewee_label}"


class ContextNoteForm(forms.Form):
    key_event = EventChoice(required=False, label="Beside the event")
    text = forms.CharField(label="Context", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "note_%s")
        super().__init__(*args, **kwargs)
        self.fields["key_event"].offer(incident)  # type: ignore[attr-defined]


class FactorForm(forms.Form):
    kind = forms.ChoiceField(choices=FactorKind.choices)
    category = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "factor-categories"}),
        help_text="Pick a suggestion or type your own.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    key_events = EvidenceEvents(required=False, widget=ListedCheckboxes)
    interviews = EvidenceInterviews(
        queryset=Interview.objects.none(), required=False, widget=ListedCheckboxes
    )

    def __init__(self, *args: Any, incident: Incident, interviews: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "factor_%s")
        super().__init__(*args, **kwargs)
        self.fields["key_events"].offer(incident)  # type: ignore[attr-defined]
        self.fields["interviews"].queryset = interviews  # type: ignore[attr-defined]


class LearningForm(forms.Form):
    text = forms.CharField(label="Learning", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "learning_%s")
        super().__init__(*args, **kwargs)


class DraftActionForm(forms.Form):
    title = forms.CharField(max_length=500)
    kind = forms.ChoiceField(choices=[(k.value, k.label) for k in DRAFTABLE_KINDS])
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="Empty: the incident's team."
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation_id=membership.organisation_id
        )
