from __future__ import annotations

from django import forms

from learnloop.costs.models import ChaosDay, CostSettings, SetupEffort, TeamCostProfile, Training

DATE = forms.DateInput(attrs={"type": "date"})


class ProfileForm(forms.ModelForm):  # type: ignore[type-arg]
    prefix = "profile"

    class Meta:
        model = TeamCostProfile
        fields = ["headcount", "loaded_annual_people_cost", "annual_run_cost"]

    def clean_headcount(self) -> int:
        value: int = self.cleaned_data["headcount"]
        if value < 1:
            raise forms.ValidationError("A team has at least one person.")
        return value


class TrainingForm(forms.ModelForm):  # type: ignore[type-arg]
    prefix = "training"

    class Meta:
        model = Training
        fields = ["kind", "held_on", "hours", "person"]
        widgets = {"held_on": DATE}


class SetupForm(forms.ModelForm):  # type: ignore[type-arg]
    prefix = "setup"

    class Meta:
        model = SetupEffort
        fields = ["kind", "done_on", "hours"]
        widgets = {"done_on": DATE}


class ChaosDayForm(forms.ModelForm):  # type: ignore[type-arg]
    prefix = "chaos"

    class Meta:
        model = ChaosDay
        fields = ["held_on", "note"]
        widgets = {"held_on": DATE}


def positive_hours(form: forms.ModelForm) -> None:  # type: ignore[type-arg]
    hours = form.cleaned_data.get("hours")
    if hours is not None and hours <= 0:
        form.add_error("hours", "Hours are more than zero.")


class CostSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    prefix = "settings"

    class Meta:
        model = CostSettings
        fields = [
            "working_hours_per_year",
            "default_rate",
            "capex_by_default",
            "low_band_below",
            "high_band_from",
        ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        low, high = data.get("low_band_below"), data.get("high_band_from")
        if low is not None and high is not None and low >= high:
            self.add_error("high_band_from", "The High band starts above the Low band's end.")
        hours = data.get("working_hours_per_year")
        if hours is not None and not 100 <= int(str(hours)) <= 8784:
            self.add_error("working_hours_per_year", "Between 100 and 8,784 hours a year.")
        return data
