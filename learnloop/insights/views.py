"""Learning across incidents: the measures of a learning culture, and a theme over time."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from learnloop.accounts import people
from learnloop.accounts.decorators import member_required
from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_pick_people
from learnloop.actions.recurrence import recurrences
from learnloop.analysis.models import LearningTheme
from learnloop.incidents.models import Incident
from learnloop.insights.measures import measure
from learnloop.insights.names import NAMED, of_organisation
from learnloop.lib.charts import bars
from learnloop.lib.widgets import suggested


@member_required
def measures(request: HttpRequest, membership: Membership) -> HttpResponse:
    teams = Team.objects.filter(organisation_id=membership.organisation_id)
    team = teams.filter(slug=request.GET.get("team") or "").first()
    found = measure(membership.organisation, team.pk if team else None)
    lead = found.lead_time_days
    chart = bars(
        "Improvement action lead time, idea to in practice (days)",
        ["median", "85th percentile"],
        {"days": [lead.median or Decimal(0), lead.p85 or Decimal(0)]},
    )
    return render(
        request,
        "insights/measures.html",
        {"m": found, "team": team, "teams": teams, "chart": mark_safe(chart)},
    )


@member_required
def theme_detail(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    theme = get_object_or_404(LearningTheme, organisation_id=membership.organisation_id, slug=slug)
    incidents = list(
        Incident.objects.filter(
            Q(themes=theme) | Q(key_events__themes=theme),
            organisation_id=membership.organisation_id,
        )
        .distinct()
        .select_related("team", "service")
        .order_by("started_at")
    )
    by_month = Counter(f"{i.started_at:%Y-%m}" for i in incidents if i.started_at)
    months = sorted(by_month)
    chart = bars(
        f"Incidents with the theme “{theme.name}” per month",
        months,
        {"incidents": [Decimal(by_month[m]) for m in months]},
    )
    actions = list(theme.actions.select_related("incident", "owner_team"))
    return render(
        request,
        "insights/theme.html",
        {
            "theme": theme,
            "incidents": incidents,
            "chart": mark_safe(chart),
            "months": [(m, by_month[m]) for m in months],
            "by_team": Counter(i.team.name for i in incidents if i.team).most_common(),
            "by_service": Counter(i.service.name for i in incidents if i.service).most_common(),
            "actions": [(a, recurrences(a)) for a in actions],
        },
    )


@member_required
def search_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    from learnloop.insights.search import search

    text = request.GET.get("q", "").strip()[:200]
    hits = search(membership, text) if text else []
    return render(request, "insights/search.html", {"q": text, "hits": hits})


@member_required
def suggested_names(request: HttpRequest, membership: Membership, kind: str) -> HttpResponse:
    """The organisation's teams, services or themes whose name or slug holds what was typed in a
    filter's box, as the options of the box's datalist. What was typed comes under the box's
    name, which `box` gives (else the kind)."""
    if kind not in NAMED:
        raise Http404("No such kind of name.")
    typed = _typed(request, kind).strip()[:200]  # longer than any name
    return _options(suggested(of_organisation(kind, membership.organisation_id), typed))


@member_required
def suggested_people(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's people whose name or address holds the last address typed in a box of
    addresses (under the box's name, which `box` gives), for those who fill such boxes."""
    if not can_pick_people(membership):
        raise PermissionDenied("Only those who name people in forms may look them up.")
    typed = _typed(request, "")[:2000]  # a list of addresses
    return _options(people.suggested_people(people.people_of(membership), typed))


def _typed(request: HttpRequest, box: str) -> str:
    """What was typed in a box: sent under the box's name, which the parameter `box` gives
    (else this one)."""
    return request.GET.get(request.GET.get("box", box), "")


def _options(pairs: list[tuple[str, str]]) -> HttpResponse:
    return HttpResponse(format_html_join("", '<option value="{}">{}</option>', pairs))
