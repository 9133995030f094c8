from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from learnloop.accounts.models import Membership, Role, Team


def _zones() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)

    class Meta:
        model = Membership
        fields = ["time_zone"]
        labels = {"time_zone": "Time zone (times are shown in it)"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(choices=_zones())
        user = self.instance.user
        self.fields["first_name"].initial = user.first_name
        self.fields["last_name"].initial = user.last_name

    def clean_time_zone(self) -> str:
        zone: str = self.cleaned_data["time_zone"]
        if zone not in zoneinfo.available_timezones():
            raise forms.ValidationError(f"'{zone}' is not a time zone name.")
        return zone

    def save(self, commit: bool = True) -> Membership:
        membership: Membership = super().save(commit=commit)
        user = membership.user
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        if commit:
            user.save(update_fields=["first_name", "last_name"])
        return membership


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="Say what script or integration will use it.",
        error_messages={
            "required": "Name the token: say what script will use it.",
            "max_length": "The name is too long (100 characters at most).",
        },
        widget=forms.TextInput(attrs={"placeholder": "e.g. nightly export"}),
    )


class TeamChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def __init__(self, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(
            queryset=Team.objects.filter(organisation_id=organisation_id),
            to_field_name="slug",
            required=False,
            empty_label="(no team)",
            **kwargs,
        )


class TeamForm(forms.Form):
    slug = forms.SlugField(max_length=60, help_text="Short and lasting, e.g. payments")
    name = forms.CharField(max_length=200)


class ServiceForm(forms.Form):
    slug = forms.SlugField(max_length=100)
    name = forms.CharField(max_length=200)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = TeamChoice(organisation_id, label="Owning team")


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    name = forms.CharField(max_length=200, required=False, label="Full name")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.RESPONDER)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = TeamChoice(organisation_id)


class MemberForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)

    def __init__(self, *args: Any, organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"] = TeamChoice(organisation_id)


class LoginForm(AuthenticationForm):
    """With single sign-on and LEARNLOOP_PASSWORD_LOGIN=0, only break-glass accounts may use a
    password."""

    def clean(self) -> dict[str, Any]:
        name = (self.cleaned_data.get("username") or "").strip().lower()
        passwords_off = settings.OIDC_ISSUER and not settings.PASSWORD_LOGIN
        if passwords_off and name not in settings.BREAK_GLASS_ACCOUNTS:
            raise forms.ValidationError(
                f"Sign in with {settings.OIDC_NAME}: passwords are switched off here.",
                code="password_login_off",
            )
        return super().clean()
