"""The organisation's learning-culture cost on one page: every team's and the whole
organisation's share of its cost of ownership by quarter, against the bands, exportable as CSV.
For admins and problem managers."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership, Role
from learnloop.costs import report
from learnloop.costs.ledger import settings_of
from learnloop.costs.tasks import POST_EVERY


@member_required
def organisation_costs(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(membership.role in (Role.ADMIN, Role.PROBLEM_MANAGER))
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year", this_year))
    except ValueError:
        year = this_year
    year = min(max(year, 2000), this_year + 1)
    teams, shares = report.by_quarter(membership.organisation, year)
    rows = [(t.name, t.slug, [shares[(t.pk, q)] for q in (1, 2, 3, 4)]) for t in teams]
    total = [shares[(None, q)] for q in (1, 2, 3, 4)]
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"learnloop-learning-cost-{membership.organisation.slug}-{year}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerow(["team", "quarter", "amount", "tco", "tco_percent", "band"])
        for label, slug, quarters in [*rows, ("Whole organisation", "", total)]:
            for number, share in enumerate(quarters, start=1):
                percent = share.percent if share.percent is not None else ""
                tco = share.tco if share.tco is not None else ""
                writer.writerow(
                    [slug or label, f"{year}-Q{number}", share.amount, tco, percent, share.band]
                )
        return response
    return render(
        request,
        "costs/organisation.html",
        {
            "year": year,
            "years": range(this_year - 4, this_year + 1),
            "rows": rows,
            "total": total,
            "posted_at": settings_of(membership.organisation).ledger_posted_at,
            "posting_minutes": POST_EVERY // 60,
        },
    )
