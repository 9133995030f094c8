from __future__ import annotations

from typing import Any

from django import forms

from learnloop.trackers.models import TrackerConnection


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    base_url = forms.URLField(assume_scheme="https", max_length=500, label="Base URL")
    token = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="API token. Leave empty to keep the stored one. Stored encrypted.",
    )
    webhook_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput,
        help_text="Shared secret the tracker signs webhooks with. "
        "Leave empty to keep the stored one.",
    )

    class Meta:
        model = TrackerConnection
        fields = ["kind", "base_url", "account", "project", "issue_type"]
        labels = {"base_url": "Base URL", "account": "Account (Jira Cloud email / Trello key)"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.token_sealed and not data.get("token"):
            self.add_error("token", "A token is needed to connect.")
        if data.get("kind") == "github" and data.get("project", "").count("/") != 1:
            self.add_error("project", "Give the repository as owner/name.")
        return data

    def save(self, commit: bool = True) -> TrackerConnection:
        connection: TrackerConnection = super().save(commit=False)
        if self.cleaned_data.get("token"):
            connection.token = self.cleaned_data["token"]
        if self.cleaned_data.get("webhook_secret"):
            connection.webhook_secret = self.cleaned_data["webhook_secret"]
        if commit:
            connection.save()
        return connection
