"""Ledger totals per team and cost type for a period, as amounts, hours and a share of the team's
total cost of ownership (TCO), with the playbook's band and its expectation beside them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Q, Sum

from learnloop.accounts.models import Organisation, Team
from learnloop.costs.ledger import settings_of
from learnloop.costs.models import CostType, LedgerEntry, TeamCostProfile
from learnloop.lib.cost_of_delay import cents

# What the playbook expects of each cost, for a team to compare itself with.
EXPECTED = {
    CostType.SETUP: "High",
    CostType.INSIGHT: "—",
    CostType.RUN: "Low",
    CostType.OPPORTUNITY: "Low",
}


@dataclass
class Line:
    team: str
    cost_type: str
    capex: Decimal
    opex: Decimal
    amount: Decimal
    hours: Decimal
    tco: Decimal | None
    tco_percent: Decimal | None
    band: str
    expected: str

    def as_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}


def tco(team: Team, start: date, end: date) -> Decimal | None:
    """People and run costs for the days from start to end, both included."""
    profile = TeamCostProfile.objects.filter(team=team).first()
    if profile is None:
        return None
    days = Decimal((end - start).days + 1)
    return cents((profile.loaded_annual_people_cost + profile.annual_run_cost) * days / 365)


def summary(
    organisation: Organisation, start: date, end: date, team_slug: str | None = None
) -> list[Line]:
    settings = settings_of(organisation)
    teams = Team.objects.filter(organisation=organisation).order_by("slug")
    if team_slug:
        teams = teams.filter(slug=team_slug)
    totals: dict[tuple[int, str, bool], tuple[Decimal, Decimal]] = {}
    rows = (
        LedgerEntry.objects.filter(
            organisation=organisation, team__in=teams, occurred_on__gte=start, occurred_on__lte=end
        )
        .values("team_id", "cost_type", "capex")
        .annotate(amount=Sum("amount"), hours=Sum("hours"))
    )
    for row in rows:
        totals[(row["team_id"], row["cost_type"], row["capex"])] = (
            Decimal(row["amount"] or 0),
            Decimal(row["hours"] or 0),
        )
    lines = []
    for team in teams:
        team_tco = tco(team, start, end)
        for cost_type in CostType.values:
            capex, capex_hours = totals.get((team.pk, cost_type, True), (Decimal(0), Decimal(0)))
            opex, opex_hours = totals.get((team.pk, cost_type, False), (Decimal(0), Decimal(0)))
            amount = cents(capex + opex)
            percent = (amount / team_tco * 100).quantize(Decimal("0.01")) if team_tco else None
            lines.append(
                Line(
                    team=team.slug,
                    cost_type=cost_type,
                    capex=cents(capex),
                    opex=cents(opex),
                    amount=amount,
                    hours=(capex_hours + opex_hours).quantize(Decimal("0.01")),
                    tco=team_tco,
                    tco_percent=percent,
                    band=settings.band(percent) if percent is not None else "—",
                    expected=EXPECTED[CostType(cost_type)],
                )
            )
    return lines


@dataclass
class Share:
    """One team's (or the whole organisation's) learning-culture cost in a period, as an
    amount and a share of its TCO, with the band that share falls in."""

    amount: Decimal
    tco: Decimal | None
    percent: Decimal | None
    band: str


def quarters(year: int) -> list[tuple[date, date]]:
    ends = [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]
    return [(date(year, 3 * n + 1, 1), end) for n, end in enumerate(ends)]


def _team_amounts(
    organisation: Organisation, periods: list[tuple[date, date]]
) -> dict[tuple[int, int], Decimal]:
    """Each team's ledger amount per quarter (team id, 1-4). Summing a year of entries is most
    of an admin's home (13 ms at the bench's 12,000 a year, on SQLite), so the sums are kept in
    the cache under the organisation's newest entry: the ledger only grows (the database refuses
    updates and deletes), so a new entry is the only change that can make them wrong."""
    newest = (
        LedgerEntry.objects.filter(organisation=organisation)
        .order_by("-id")
        .values_list("id", "created_at")
        .first()
    )
    stamp = f"{newest[0]}-{newest[1].timestamp()}" if newest else "empty"
    key = f"ledger-quarters-{organisation.pk}-{periods[0][0].isoformat()}-{stamp}"
    kept: dict[tuple[int, int], Decimal] | None = cache.get(key)
    if kept is not None:
        return kept
    # One sum per quarter by date range (comparing dates uses the index; extracting the quarter
    # from each row, on SQLite a Python function, did not).
    sums = {
        f"q{n}": Sum("amount", filter=Q(occurred_on__gte=start, occurred_on__lte=end))
        for n, (start, end) in enumerate(periods, start=1)
    }
    rows = (
        LedgerEntry.objects.filter(
            organisation=organisation,
            team__isnull=False,
            occurred_on__gte=periods[0][0],
            occurred_on__lte=periods[-1][1],
        )
        .values("team_id")
        .annotate(**sums)
    )
    amounts = {
        (row["team_id"], n): Decimal(row[f"q{n}"] or 0) for row in rows for n in (1, 2, 3, 4)
    }
    cache.set(key, amounts, timeout=24 * 3600)
    return amounts


def by_quarter(
    organisation: Organisation, year: int
) -> tuple[list[Team], dict[tuple[int | None, int], Share]]:
    """Every team's learning-culture cost per quarter of the year, and the organisation's
    (team None): one query for the ledger, one for the teams and their cost profiles."""
    settings = settings_of(organisation)
    teams = list(
        Team.objects.filter(organisation=organisation)
        .select_related("cost_profile")
        .order_by("name")
    )
    profiles = {
        t.pk: t.cost_profile.loaded_annual_people_cost + t.cost_profile.annual_run_cost
        for t in teams
        if hasattr(t, "cost_profile")  # a team without a profile has no TCO
    }
    costed = [t.pk for t in teams if t.pk in profiles]
    periods = quarters(year)
    amounts = _team_amounts(organisation, periods)

    def share(amount: Decimal, annual: Decimal | None, start: date, end: date) -> Share:
        total = cents(annual * Decimal((end - start).days + 1) / 365) if annual else None
        percent = (amount / total * 100).quantize(Decimal("0.01")) if total else None
        band = settings.band(percent) if percent is not None else "—"
        return Share(cents(amount), total, percent, band)

    found: dict[tuple[int | None, int], Share] = {}
    for number, (start, end) in enumerate(periods, start=1):
        for team in teams:
            amount = amounts.get((team.pk, number), Decimal(0))
            found[(team.pk, number)] = share(amount, profiles.get(team.pk), start, end)
        amount = sum((amounts.get((pk, number), Decimal(0)) for pk in costed), Decimal(0))
        annual = sum((profiles[pk] for pk in costed), Decimal(0)) or None
        found[(None, number)] = share(amount, annual, start, end)
    return teams, found
