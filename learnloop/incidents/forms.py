from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import User

from learnloop.accounts.models import Membership
from learnloop.accounts.people import PersonChoice, PersonField, offer_people
from learnloop.incidents.models import (
    ConsequencePolicy,
    Incident,
    ResponseRole,
    Severity,
    Status,
)
from learnloop.insights.names import offer_named
from learnloop.lib.widgets import (
    ListedSelect,
    ListedSelectMultiple,
    NamedChoice,
    NamedModelChoice,
)

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class IncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    responders = PersonChoice(
        queryset=User.objects.none(),
        required=False,
        widget=ListedSelectMultiple(attrs={"size": 6}),
        help_text="People who handled the incident: each gets an analysis "
        "period when it is of consequence.",
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "team",
            "service",
            "severity",
            "status",
            "started_at",
            "detected_at",
            "mitigated_at",
            "resolved_at",
            "customer_facing",
            "data_loss",
            "estimated_loss",
            "impact_summary",
        ]
        field_classes = {"team": NamedModelChoice, "service": NamedModelChoice}
        widgets = {
            "started_at": DATETIME,
            "detected_at": DATETIME,
            "mitigated_at": DATETIME,
            "resolved_at": DATETIME,
            "severity": ListedSelect,
            "status": ListedSelect,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "impact_summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_named(self, membership, ["team", "service"])
        offer_people(self, membership, ["responders"])
        if self.instance.pk:
            self.fields["responders"].initial = list(
                self.instance.responders.values_list("user_id", flat=True)
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service, team = data.get("service"), data.get("team")
        if service and team is None and service.team_id:
            data["team"] = service.team
        return data


class FilterForm(forms.Form):
    q = forms.CharField(required=False, label="Title contains")
    team = NamedChoice()
    service = NamedChoice()
    severity = forms.TypedChoiceField(
        choices=[("", "any"), *list(Severity.choices)],
        required=False,
        widget=ListedSelect,
        coerce=int,
        empty_value=None,
    )
    status = forms.ChoiceField(
        choices=[("", "any"), *list(Status.choices)], required=False, widget=ListedSelect
    )
    of_consequence = forms.TypedChoiceField(
        choices=[("", "any"), ("yes", "yes"), ("no", "no"), ("undecided", "undecided")],
        required=False,
        widget=ListedSelect,
        label="Of consequence",
    )
    started_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    started_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_named(self, membership, ["team", "service"])


class DecisionForm(forms.Form):
    of_consequence = forms.TypedChoiceField(
        choices=[("yes", "Of consequence"), ("no", "Not of consequence")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose of consequence or not."},
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Give the reason for the decision."},
    )


class ResponderForm(forms.Form):
    user = PersonField(queryset=User.objects.none(), label="Person")
    response_role = forms.ChoiceField(choices=ResponseRole.choices, label="Response role")

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        offer_people(self, membership, ["user"])


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    """The consequence policy, with the analysis hours per severity as one field each."""

    class Meta:
        model = ConsequencePolicy
        fields = [
            "max_severity",
            "customer_facing",
            "min_estimated_loss",
            "min_duration_minutes",
            "default_hours",
            "analysis_window_days",
        ]
        labels = {
            "max_severity": "Severity at or above",
            "customer_facing": "Every customer-facing incident",
            "min_estimated_loss": "Estimated loss at or above",
            "min_duration_minutes": "Duration at or above (minutes)",
            "default_hours": "Analysis hours when the severity is unknown",
            "analysis_window_days": "Analysis window (days)",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level, label in Severity.choices:
            self.fields[f"hours_sev{level}"] = forms.DecimalField(
                label=f"Analysis hours for {label}",
                min_value=Decimal("0.25"),
                max_digits=6,
                decimal_places=2,
                initial=self.instance.hours_for(level),
            )

    def save(self, commit: bool = True) -> ConsequencePolicy:
        policy: ConsequencePolicy = super().save(commit=False)
        policy.hours_by_severity = {
            str(level): str(self.cleaned_data[f"hours_sev{level}"]) for level in Severity.values
        }
        if commit:
            policy.save()
        return policy
