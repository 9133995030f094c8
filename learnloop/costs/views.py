"""A team's cost page: the ledger summary for a period, charts with tables beside them, exports,
and the inputs behind the figures."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_rank_backlog, people_of_team
from learnloop.costs import ledger, report
from learnloop.costs.command import COLUMNS
from learnloop.costs.forms import (
    ChaosDayForm,
    CostSettingsForm,
    ProfileForm,
    SetupForm,
    TrainingForm,
    positive_hours,
)
from learnloop.costs.models import CostType, LedgerEntry, TeamCostProfile
from learnloop.costs.tasks import POST_EVERY, post_soon
from learnloop.lib.charts import bars


def _period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.now().date()
    try:
        start = date.fromisoformat(request.GET.get("from") or f"{today.year}-01-01")
        end = date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    return (start, end) if start <= end else (end, start)


def _monthly(team: Team, start: date, end: date) -> tuple[list[str], dict[str, list[Decimal]]]:
    sums = report.monthly(team, start, end)
    months = sorted({month for month, _ in sums})
    labels = [f"{m:%b %Y}" for m in months]
    series = {t.label: [Decimal("0.00")] * len(months) for t in CostType}
    for (month, cost_type), amount in sums.items():
        series[CostType(cost_type).label][months.index(month)] = amount
    return labels, series


def _inputs(request: HttpRequest, team: Team) -> HttpResponse | None:
    """Handles one of the input forms; returns a redirect when it saved."""
    profile = TeamCostProfile.objects.filter(team=team).first()
    chosen = request.POST.get("form")
    form = {
        "profile": lambda: ProfileForm(
            request.POST, instance=profile or TeamCostProfile(team=team)
        ),
        "training": lambda: TrainingForm(request.POST),
        "setup": lambda: SetupForm(request.POST),
        "chaos": lambda: ChaosDayForm(request.POST),
    }.get(chosen or "", lambda: None)()
    if form is None:
        return None
    if form.is_valid():
        positive_hours(form)
    if form.is_valid():
        record = form.save(commit=False)
        record.team = team
        record.save()
        post_soon(team.organisation_id)
        messages.info(request, "Saved. The worker posts it to the ledger within moments.")
        return redirect("team_costs", slug=team.slug)
    messages.error(
        request,
        "; ".join(f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items()),
    )
    return None


@member_required
def team_costs(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    forbid_unless(can_rank_backlog(membership, team))
    if request.method == "POST":
        saved = _inputs(request, team)
        if saved is not None:
            return saved
    start, end = _period(request)
    lines = report.summary(membership.organisation, start, end, team.slug)
    export = request.GET.get("format")
    if export in ("csv", "json"):
        return _export(lines, export, team, start, end)
    settings = ledger.settings_of(membership.organisation)
    labels, series = _monthly(team, start, end)
    percents = [line.tco_percent or Decimal(0) for line in lines]
    profile = TeamCostProfile.objects.filter(team=team).first()
    training_form = TrainingForm()
    training_form.fields["person"].queryset = people_of_team(team)  # type: ignore[attr-defined]
    return render(
        request,
        "costs/team.html",
        {
            "team": team,
            "posted_at": settings.ledger_posted_at,
            "posting_minutes": POST_EVERY // 60,
            "lines": lines,
            "start": start,
            "end": end,
            "total": sum((line.amount for line in lines), Decimal(0)),
            "months": list(zip(labels, *series.values(), strict=True)),
            "types": list(series),
            "chart": mark_safe(bars(f"{team.name}: cost by type per month", labels, series)),
            "tco_chart": mark_safe(
                bars(
                    "TCO % by cost type, against the bands",
                    [CostType(line.cost_type).label for line in lines],
                    {"TCO %": percents},
                    bands=[
                        (settings.low_band_below, "Low / Medium"),
                        (settings.high_band_from, "Medium / High"),
                    ],
                )
            ),
            "profile_form": ProfileForm(instance=profile),
            "training_form": training_form,
            "setup_form": SetupForm(),
            "chaos_form": ChaosDayForm(),
            "entries": LedgerEntry.objects.filter(
                team=team, occurred_on__gte=start, occurred_on__lte=end
            ).order_by("-id")[:30],
        },
    )


def _export(lines: list[report.Line], fmt: str, team: Team, start: date, end: date) -> HttpResponse:
    name = f"learnloop-costs-{team.slug}-{start}-{end}.{fmt}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps([line.as_json() for line in lines], indent=2),
            content_type="application/json",
        )
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        writer = csv.DictWriter(response, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(line.as_json() for line in lines)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@member_required
def cost_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's rates, capex default and TCO bands; only its admins change them."""
    forbid_unless(membership.is_admin)
    form = CostSettingsForm(
        request.POST or None, instance=ledger.settings_of(membership.organisation)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        post_soon(membership.organisation_id)
        messages.info(request, "Saved. The worker posts the ledger again with these rates.")
        return redirect("cost_settings")
    return render(request, "costs/settings.html", {"form": form})
