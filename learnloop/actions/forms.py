from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from learnloop.accounts.models import Membership, Team
from learnloop.actions.models import ActionStatus, ImprovementAction, PlannedFeature
from learnloop.analysis.models import LearningTheme
from learnloop.lib import cost_of_delay

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": Decimal(0)}


class ActionForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ImprovementAction
        fields = [
            "title",
            "description",
            "kind",
            "owner_team",
            "themes",
            "estimate_weeks",
            "cost_of_delay_per_week",
            "recurrence_chance_per_week",
            "exposure_per_hour",
            "typical_duration_hours",
            "toil_hours_per_week",
            "toil_hourly_rate",
        ]
        widgets = {
            "themes": forms.CheckboxSelectMultiple,
            "title": forms.TextInput(attrs={"size": 80}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "cost_of_delay_per_week": "Cost of delay per week (leave empty to estimate below)",
            "recurrence_chance_per_week": "Chance of recurrence per week (0 to 1)",
            "exposure_per_hour": "Service exposure per hour of incident",
            "typical_duration_hours": "Typical incident duration (hours)",
            "toil_hours_per_week": "Toil hours per week until done",
            "toil_hourly_rate": "Hourly rate for toil",
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.filter(  # type: ignore[attr-defined]
            organisation_id=membership.organisation_id
        )
        self.fields["themes"].queryset = LearningTheme.objects.filter(  # type: ignore[attr-defined]
            organisation_id=membership.organisation_id
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        estimate = data.get("estimate_weeks")
        if estimate is not None and estimate <= 0:
            self.add_error("estimate_weeks", "An estimate is more than zero weeks.")
        chance = data.get("recurrence_chance_per_week")
        exposure = data.get("exposure_per_hour")
        duration = data.get("typical_duration_hours")
        entered = data.get("cost_of_delay_per_week")
        if entered is None and chance is not None and exposure is not None and duration is not None:
            try:
                data["cost_of_delay_per_week"] = cost_of_delay.estimate_per_week(
                    chance,
                    exposure,
                    duration,
                    data.get("toil_hours_per_week") or Decimal(0),
                    data.get("toil_hourly_rate") or Decimal(0),
                )
            except ValueError as error:
                self.add_error("recurrence_chance_per_week", str(error))
        return data


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=ActionStatus.choices)
    evidence = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Evidence that it works (for in practice)",
    )
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason (for won't do)"
    )


class FeatureForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PlannedFeature
        fields = ["title", "cost_of_delay_per_week", "estimate_weeks", "tracker_key"]

    def clean_estimate_weeks(self) -> Decimal:
        weeks: Decimal = self.cleaned_data["estimate_weeks"]
        if weeks <= 0:
            raise forms.ValidationError("An estimate is more than zero weeks.")
        return weeks


class PlacementForm(forms.Form):
    kind = forms.ChoiceField(choices=[("action", "action"), ("feature", "feature")])
    item = forms.IntegerField(min_value=1)
    rank = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=500)
