from __future__ import annotations

from typing import Any

from django import forms

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChatImportForm(forms.Form):
    file = forms.FileField(label="Slack export (ZIP)")
    channel = forms.CharField(max_length=200, help_text="The incident channel's name, without #.")
    since = forms.DateTimeField(required=False, label="From (UTC)", widget=DATETIME)
    until = forms.DateTimeField(required=False, label="To (UTC)", widget=DATETIME)
    workspace_url = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=200,
        label="Workspace address",
        help_text="e.g. https://acme.slack.com, for links back to each message.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "chat_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "The window must end after it starts.")
        return data


class CandidateFilter(forms.Form):
    person = forms.CharField(required=False, max_length=200)
    thread = forms.CharField(required=False, max_length=40)
    since = forms.DateTimeField(required=False, label="From", widget=DATETIME)
    until = forms.DateTimeField(required=False, label="To", widget=DATETIME)
    show = forms.ChoiceField(
        required=False, choices=[("open", "not yet decided"), ("all", "all messages")]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "candidates_%s")
        super().__init__(*args, **kwargs)
