"""The channel form: one form for every kind, checking what that kind needs, field by field."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from learnloop.publishing.models import ChannelKind, PublishChannel

WHAT_TO_PASTE = (
    "Slack: the webhook URL. Confluence Cloud: an API token. Data Center: a personal access "
    "token. Stored encrypted and never shown again; leave empty to keep the stored one."
)


def addresses(text: str) -> list[str]:
    """One address per line (commas also separate); each checked, the line named if wrong."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for address in (a.strip() for a in line.split(",")):
            if not address:
                continue
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    f"Line {number}: '{address}' is not an email address."
                ) from None
            found.append(address)
    return found


class ChannelForm(forms.ModelForm):  # type: ignore[type-arg]
    secret = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        label="Secret",
        help_text=WHAT_TO_PASTE,
    )

    base_url = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=500,
        label="Confluence site URL",
        help_text="Cloud: https://your-site.atlassian.net. Data Center: the server's address, "
        "with its context path if it has one.",
    )

    class Meta:
        model = PublishChannel
        fields = [
            "kind",
            "name",
            "enabled",
            "recipients",
            "base_url",
            "account",
            "space",
            "parent_id",
        ]
        labels = {
            "recipients": "Recipients (email)",
            "account": "Account email (Confluence Cloud)",
            "space": "Space (Cloud: space id; Data Center: space key)",
            "parent_id": "Parent page id (optional)",
        }
        help_texts = {
            "recipients": "The distribution list: one address per line.",
        }
        widgets = {"recipients": forms.Textarea(attrs={"rows": 4})}

    def clean_recipients(self) -> str:
        return "\n".join(addresses(self.cleaned_data.get("recipients") or ""))

    def clean_parent_id(self) -> str:
        value = str(self.cleaned_data.get("parent_id") or "").strip()
        if value and not value.isdigit():
            raise ValidationError("A page id is a number, as in the page's address.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        secret = data.get("secret") or ""
        needs_secret = not self.instance.secret_sealed or self.instance.kind != kind
        if (
            kind == ChannelKind.EMAIL
            and not data.get("recipients")
            and "recipients" not in self.errors
        ):
            self.add_error("recipients", "Give at least one address.")
        if kind == ChannelKind.SLACK:
            if not secret and needs_secret:
                self.add_error("secret", "Paste the incoming webhook URL Slack gave you.")
            elif secret:
                try:
                    URLValidator(schemes=["https", "http"])(secret)
                except ValidationError:
                    self.add_error(
                        "secret",
                        "A Slack webhook URL looks like https://hooks.slack.com/services/…",
                    )
        if kind in (ChannelKind.CONFLUENCE_CLOUD, ChannelKind.CONFLUENCE_DC):
            if not data.get("base_url") and "base_url" not in self.errors:
                self.add_error("base_url", "Give the Confluence site's address.")
            if not secret and needs_secret:
                self.add_error("secret", "A token is needed to write pages.")
            space = str(data.get("space") or "").strip()
            if kind == ChannelKind.CONFLUENCE_CLOUD:
                if not space.isdigit():
                    self.add_error("space", "Confluence Cloud names a space by its numeric id.")
                try:
                    validate_email(data.get("account") or "")
                except ValidationError:
                    self.add_error("account", "The email address of the Atlassian account.")
            elif not re.fullmatch(r"~?[A-Za-z0-9_]+", space):
                self.add_error("space", "A space key, such as ENG (letters and digits).")
        return data

    def save(self, commit: bool = True) -> PublishChannel:
        channel: PublishChannel = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            channel.secret = self.cleaned_data["secret"]
        if commit:
            channel.save()
        return channel
