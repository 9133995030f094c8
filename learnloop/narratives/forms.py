"""The editor's form: the text, an optional note, and the version the text is based on."""

from __future__ import annotations

from django import forms

from learnloop.narratives.models import NarrativeStatus
from learnloop.narratives.services import MAX_BODY


class VersionForm(forms.Form):
    body = forms.CharField(
        label="Narrative (Markdown)",
        max_length=MAX_BODY,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 30, "cols": 80, "spellcheck": "true"}),
        error_messages={"required": "The narrative is empty: write something before saving."},
    )
    note = forms.CharField(
        label="Note on this version (optional)",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
    )
    # The version the editor opened; a save based on an older one is refused, never merged.
    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (NarrativeStatus.DRAFT.value, NarrativeStatus.DRAFT.label),
            (NarrativeStatus.IN_REVIEW.value, NarrativeStatus.IN_REVIEW.label),
        ]
    )


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, strip=False, max_length=MAX_BODY)
