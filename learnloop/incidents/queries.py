"""The incident list's filters, shared by the page and the API so they mean the same."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from learnloop.accounts.models import Service, Team, id_by_slug
from learnloop.incidents.models import Incident
from learnloop.lib.statements import Param


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

    def values(self) -> dict[str, Any]:
        """What the chosen filters compare incidents with, by name: the slugs, severity,
        status and search as given, the dates as the first and last moments of those days in
        the viewer's time zone. The name of a filter not chosen is absent."""
        zone = timezone.get_current_timezone()
        values = {
            "team": self.team,
            "service": self.service,
            "severity": self.severity,
            "status": self.status,
            "started_from": self.started_from
            and datetime.combine(self.started_from, time.min, tzinfo=zone),
            "started_to": self.started_to
            and datetime.combine(self.started_to, time.max, tzinfo=zone),
            "q": self.q,
        }
        return {name: value for name, value in values.items() if value}

    def shape(self) -> tuple[Hashable, ...]:
        """What decides the SQL of apply(named=True): which filters are chosen (their values are
        the statement's parameters) and the consequence asked for."""
        return (*sorted(self.values()), self.of_consequence)

    def apply(
        self, incidents: QuerySet[Incident], organisation_id: int, named: bool = False
    ) -> QuerySet[Incident]:
        """The team and service are found by slug in a subquery run once, so that the list
        reads the `(organisation, team, started_at)` index in its order: through a join, the
        database read every incident of the team and sorted them. `named` puts a
        statements.Param of each filter's name in place of its value, for a statement compiled
        once and given values() when it runs."""
        values = self.values()

        def value(name: str, model: type[Model], field: str) -> Any:
            return Param(name, model, field) if named else values[name]

        if "team" in values:
            team = id_by_slug(Team, organisation_id, value("team", Team, "slug"))
            incidents = incidents.filter(team_id=team)
        if "service" in values:
            service = id_by_slug(Service, organisation_id, value("service", Service, "slug"))
            incidents = incidents.filter(service_id=service)
        if "severity" in values:
            incidents = incidents.filter(severity=value("severity", Incident, "severity"))
        if "status" in values:
            incidents = incidents.filter(status=value("status", Incident, "status"))
        if self.of_consequence == "yes":
            incidents = incidents.filter(of_consequence=True)
        elif self.of_consequence == "no":
            incidents = incidents.filter(of_consequence=False)
        elif self.of_consequence == "undecided":
            incidents = incidents.filter(of_consequence__isnull=True)
        if "started_from" in values:
            since = value("started_from", Incident, "started_at")
            incidents = incidents.filter(started_at__gte=since)
        if "started_to" in values:
            until = value("started_to", Incident, "started_at")
            incidents = incidents.filter(started_at__lte=until)
        if "q" in values:
            incidents = incidents.filter(title__icontains=value("q", Incident, "title"))
        return incidents


def listing(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """What a list shows, in one query however many rows."""
    return incidents.select_related("team", "service").order_by("-started_at", "-id")
