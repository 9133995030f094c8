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

    status_mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="One per line: tracker status = lifecycle status (planned, in_progress, "
        "implemented, wont_do). In practice is never set by a tracker.",
    )

    class Meta:
        model = TrackerConnection
        fields = ["kind", "base_url", "account", "project", "issue_type"]
        labels = {"base_url": "Base URL", "account": "Account (Jira Cloud email / Trello key)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status_mapping"].initial = "\n".join(
            f"{name} = {status}" for name, status in self.instance.status_map.items()
        )

    def clean_status_mapping(self) -> dict[str, str]:
        allowed = {"idea", "planned", "in_progress", "implemented", "wont_do"}
        mapping: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["status_mapping"].splitlines(), 1):
            if not line.strip():
                continue
            name, sep, status = line.partition("=")
            status = status.strip()
            if not sep or not name.strip() or status not in allowed:
                raise forms.ValidationError(
                    f"Line {number}: write 'tracker status = one of {', '.join(sorted(allowed))}'."
                )
            mapping[name.strip().lower()] = status
        return mapping

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
        if self.cleaned_data.get("status_mapping"):
            connection.status_map = self.cleaned_data["status_mapping"]
        if self.cleaned_data.get("webhook_secret"):
            connection.webhook_secret = self.cleaned_data["webhook_secret"]
        if commit:
            connection.save()
        return connection
