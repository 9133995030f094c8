"""The incident list's filters, shared by the page and the API so they mean the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import QuerySet, Subquery
from django.utils import timezone

from learnloop.accounts.models import Service, Team
from learnloop.incidents.models import Incident


@dataclass
class IncidentFilter:
    team: str | None = None  # slug
    service: str | None = None  # slug
    severity: int | None = None
    status: str | None = None
    of_consequence: str | None = None  # yes | no | undecided
    started_from: date | None = None
    started_to: date | None = None
    q: str | None = None

    def apply(self, incidents: QuerySet[Incident], organisation_id: int) -> QuerySet[Incident]:
        """The team and service are found by slug in a subquery run once, so that the list
        reads the `(organisation, team, started_at)` index in its order: through a join, the
        database read every incident of the team and sorted them."""
        if self.team:
            team = Team.objects.filter(organisation_id=organisation_id, slug=self.team)
            incidents = incidents.filter(team_id=Subquery(team.values("id")[:1]))
        if self.service:
            service = Service.objects.filter(organisation_id=organisation_id, slug=self.service)
            incidents = incidents.filter(service_id=Subquery(service.values("id")[:1]))
        if self.severity:
            incidents = incidents.filter(severity=self.severity)
        if self.status:
            incidents = incidents.filter(status=self.status)
        if self.of_consequence == "yes":
            incidents = incidents.filter(of_consequence=True)
        elif self.of_consequence == "no":
            incidents = incidents.filter(of_consequence=False)
        elif self.of_consequence == "undecided":
            incidents = incidents.filter(of_consequence__isnull=True)
        zone = timezone.get_current_timezone()
        if self.started_from:
            incidents = incidents.filter(
                started_at__gte=datetime.combine(self.started_from, time.min, tzinfo=zone)
            )
        if self.started_to:
            incidents = incidents.filter(
                started_at__lte=datetime.combine(self.started_to, time.max, tzinfo=zone)
            )
        if self.q:
            incidents = incidents.filter(title__icontains=self.q)
        return incidents


def listing(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """What a list shows, in one query however many rows."""
    return incidents.select_related("team", "service").order_by("-started_at", "-id")
