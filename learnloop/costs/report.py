"""Ledger totals per team and cost type for a period, as amounts, hours and a share of the team's
total cost of ownership (TCO), with the playbook's band and its expectation beside them."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from learnloop.accounts.models import Organisation, Team
from learnloop.costs import months
from learnloop.costs.ledger import settings_of
from learnloop.costs.models import CostType, LedgerEntry, LedgerMonth, TeamCostProfile
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


def prorated(annual: Decimal, start: date, end: date) -> Decimal:
    """A yearly amount's share of the days from start to end, both included."""
    return cents(annual * Decimal((end - start).days + 1) / 365)


def tco(profile: TeamCostProfile | None, start: date, end: date) -> Decimal | None:
    """People and run costs for the days from start to end, both included."""
    if profile is None:
        return None
    return prorated(profile.loaded_annual_people_cost + profile.annual_run_cost, start, end)


def summary(
    organisation: Organisation, start: date, end: date, team_slug: str | None = None
) -> list[Line]:
    settings = settings_of(organisation)
    teams = Team.objects.filter(organisation=organisation).order_by("slug")
    if team_slug:
        teams = teams.filter(slug=team_slug)
    profiles = {p.team_id: p for p in TeamCostProfile.objects.filter(team__in=teams)}
    totals = _totals(organisation, teams, start, end)
    lines = []
    for team in teams:
        team_tco = tco(profiles.get(team.pk), start, end)
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


def _parts(start: date, end: date) -> list[tuple[QuerySet[Any], Any]]:
    """The ledger from start to end, each part with its month: the whole months from their
    sums (LedgerMonth), the days before and after them from the entries."""
    by_day = TruncMonth("occurred_on")
    whole = months.whole_months(start, end)
    if whole is None:
        return [(LedgerEntry.objects.filter(occurred_on__gte=start, occurred_on__lte=end), by_day)]
    first, after = whole
    parts: list[tuple[QuerySet[Any], Any]] = [
        (LedgerMonth.objects.filter(month__gte=first, month__lt=after), F("month"))
    ]
    if start < first:
        edge = LedgerEntry.objects.filter(occurred_on__gte=start, occurred_on__lt=first)
        parts.append((edge, by_day))
    if after <= end:
        edge = LedgerEntry.objects.filter(occurred_on__gte=after, occurred_on__lte=end)
        parts.append((edge, by_day))
    return parts


def _sums(part: QuerySet[Any], *keys: str) -> QuerySet[Any]:
    """The part's amounts and hours summed by these keys. SQLite sums decimals as floats:
    entries that cancel out can leave 1e-14 behind; every amount and hours has two places,
    so the sums are rounded to them by the callers (cents)."""
    summed: QuerySet[Any] = part.values(*keys).annotate(amount=Sum("amount"), hours=Sum("hours"))
    return summed.order_by()


def _totals(
    organisation: Organisation, teams: QuerySet[Team], start: date, end: date
) -> dict[tuple[int, str, bool], tuple[Decimal, Decimal]]:
    """The ledger's amount and hours per team, cost type and capex from start to end."""
    totals: dict[tuple[int, str, bool], tuple[Decimal, Decimal]] = {}
    for part, _ in _parts(start, end):
        chosen = part.filter(organisation=organisation, team__in=teams)
        for row in _sums(chosen, "team_id", "cost_type", "capex"):
            key = (row["team_id"], row["cost_type"], row["capex"])
            amount, hours = totals.get(key, (Decimal(0), Decimal(0)))
            totals[key] = (
                amount + cents(Decimal(row["amount"] or 0)),
                hours + cents(Decimal(row["hours"] or 0)),
            )
    return totals


def monthly(team: Team, start: date, end: date) -> dict[tuple[date, str], Decimal]:
    """The team's ledger amount per month and cost type from start to end: its chart. Read as
    the totals are, so its cost does not grow with the ledger."""
    found: dict[tuple[date, str], Decimal] = {}
    for part, month in _parts(start, end):
        chosen = part.filter(organisation_id=team.organisation_id, team=team)
        for row in _sums(chosen.annotate(at=month), "at", "cost_type"):
            key = (row["at"], row["cost_type"])
            found[key] = found.get(key, Decimal(0)) + cents(Decimal(row["amount"] or 0))
    return found


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
    """Each team's ledger amount per quarter (team id, 1-4), from the monthly sums: one sum per
    quarter by range of months."""
    sums = {
        f"q{n}": Sum("amount", filter=Q(month__gte=start, month__lte=end))
        for n, (start, end) in enumerate(periods, start=1)
    }
    rows = (
        LedgerMonth.objects.filter(
            organisation=organisation,
            team__isnull=False,
            month__gte=periods[0][0],
            month__lte=periods[-1][1],
        )
        .values("team_id")
        .annotate(**sums)
        .order_by()
    )
    return {(row["team_id"], n): Decimal(row[f"q{n}"] or 0) for row in rows for n in (1, 2, 3, 4)}


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
        total = prorated(annual, start, end) if annual else None
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
