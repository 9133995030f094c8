from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms

from learnloop.accounts.models import Membership


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
