"""What the learning culture costs: the inputs (rates, team cost of ownership, trainings, setup
effort, chaos days) and an append-only ledger from which every total is recomputed."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from learnloop.accounts.models import Organisation, Service, Team
from learnloop.costs import months


class CostSettings(models.Model):
    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="cost_settings"
    )
    working_hours_per_year = models.PositiveIntegerField(default=1680)
    default_rate = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=Decimal("75.00"),
        help_text="Hourly rate when a team has no cost profile.",
    )
    capex_by_default = models.BooleanField(
        default=True,
        help_text="Culture costs are incurred by the product teams themselves: capex by default.",
    )
    low_band_below = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text="TCO % below this is Low.",
    )
    high_band_from = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("5.00"),
        help_text="TCO % from this is High; between is Medium.",
    )
    # When the ledger was last brought in line with its sources (ledger.post, written by an
    # update so that it is no change of these settings).
    ledger_posted_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Cost settings of {self.organisation}"

    def band(self, percent: Decimal) -> str:
        if percent < self.low_band_below:
            return "Low"
        return "High" if percent >= self.high_band_from else "Medium"


class TeamCostProfile(models.Model):
    """A team's total cost of ownership: its people and what it costs to run its services."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="cost_profile")
    headcount = models.PositiveIntegerField(default=1)
    loaded_annual_people_cost = models.DecimalField(max_digits=14, decimal_places=2)
    annual_run_cost = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        help_text="Hosting, licences and the like, per year.",
    )

    def __str__(self) -> str:
        return f"Cost profile of {self.team}"


class TrainingKind(models.TextChoices):
    INCIDENT_ANALYSIS = "incident_analysis", "Incident analysis training"
    INCIDENT_REVIEW = "incident_review", "Incident review training"


class Training(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="trainings")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=20, choices=TrainingKind.choices)
    held_on = models.DateField()
    hours = models.DecimalField(max_digits=6, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.held_on}"


class SetupKind(models.TextChoices):
    PLAYBACKS = "playbacks", "Cross-team playbacks"
    WALKTHROUGHS = "walkthroughs", "Walkthroughs"
    KNOWLEDGE_SHARING = "knowledge_sharing", "Knowledge sharing"


class SetupEffort(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="setup_efforts")
    kind = models.CharField(max_length=20, choices=SetupKind.choices)
    done_on = models.DateField()
    hours = models.DecimalField(max_digits=8, decimal_places=2)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.done_on}"


class ChaosDay(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="chaos_days")
    held_on = models.DateField()
    note = models.CharField(max_length=300, blank=True, default="")

    def __str__(self) -> str:
        return f"Chaos day on {self.held_on}"


class CostType(models.TextChoices):
    SETUP = "setup", "Setup"
    INSIGHT = "insight", "Insight"
    RUN = "run", "Run"
    OPPORTUNITY = "opportunity", "Opportunity"


class LedgerEntry(models.Model):
    """Never changed and never deleted: a correction is a new entry for the difference.
    `source` names what the entry was derived from, so posting again only adds differences."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ledger")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT)
    cost_type = models.CharField(max_length=12, choices=CostType.choices)
    capex = models.BooleanField(default=True)
    occurred_on = models.DateField()
    hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    description = models.CharField(max_length=300)
    source = models.CharField(max_length=120)
    correction = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_on", "id"]
        indexes = [
            models.Index(fields=["organisation", "team", "occurred_on"], name="ledger_team"),
            models.Index(fields=["organisation", "source"], name="ledger_source"),
            # The year by quarter on the admins' and problem managers' homes (report.by_quarter):
            # a range of days read from the index alone, amounts included.
            models.Index(
                fields=["organisation", "occurred_on", "team", "amount"], name="ledger_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.cost_type} {self.amount}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Ledger entries are never changed: post a correction instead.")
        with transaction.atomic():
            months.hold(self.organisation_id)
            super().save(*args, **kwargs)
            day = self._meta.get_field("occurred_on").to_python(self.occurred_on)  # or text
            month = day.replace(day=1)
            LedgerMonth.refresh(self.organisation_id, {month})

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("Ledger entries are never deleted: post a correction instead.")


class LedgerMonth(models.Model):
    """The ledger's sums for one month, team, cost type and capex or opex: reports over whole
    months read these (a few hundred rows a year) instead of every entry, whose number grows
    with the organisation's incidents. Derived, never edited: costs.months recomputes a
    month's sums from its entries whenever entries are appended to it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The month's first day.")
    team = models.ForeignKey(Team, null=True, on_delete=models.CASCADE, related_name="+")
    cost_type = models.CharField(max_length=12, choices=CostType.choices)
    capex = models.BooleanField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    hours = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["organisation", "month"], name="ledger_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.cost_type} {self.amount}"

    @classmethod
    def refresh(cls, organisation_id: int, firsts: Collection[date]) -> None:
        """Recomputes these months' sums (their first days) from the organisation's entries."""
        months.refresh(LedgerEntry.objects.all(), cls, organisation_id, firsts)
