"""The portal's pages: published narratives for every member, their revisions, slides,
readership and walkthroughs."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_get_walkthrough_invitation,
    can_schedule_walkthrough,
    can_see_deliveries,
    can_see_readership,
)
from learnloop.actions.models import ImprovementAction
from learnloop.mail.outbox import undelivered
from learnloop.narratives.models import Narrative, Publication, Walkthrough
from learnloop.portal import content, services
from learnloop.portal.forms import (
    AttendanceForm,
    PortalFilterForm,
    WalkthroughForm,
    WalkthroughTimesForm,
)
from learnloop.portal.invitations import invitation
from learnloop.portal.queries import published, published_narrative


def narrative_or_404(membership: Membership, key: str) -> Narrative:
    found = published_narrative(membership.organisation_id, key)
    if found is None:
        raise Http404("No published narrative has this address.")
    return found


def revision_of(request: HttpRequest, narrative: Narrative) -> Publication:
    """The current revision, or the one asked for with ?revision=N."""
    current = narrative.current_publication
    assert current is not None
    asked = request.GET.get("revision")
    if not asked or asked == str(current.revision):
        return current
    if not asked.isdigit():
        raise Http404("A revision is a number.")
    found = (
        narrative.publications.select_related("version")
        .filter(revision=int(asked), revision__lte=current.revision)
        .first()
    )
    if found is None:
        raise Http404("No such revision.")
    return found


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@member_required
def portal(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = PortalFilterForm(request.GET or None, membership=membership)
    filters = form.filters() if form.is_valid() else {}
    page = published(membership.organisation_id, page=_page_number(request), **filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "feed_token": membership.calendar_token,
            "team": form.chosen_team() if form.is_valid() else None,
        },
    )


@member_required
def narrative_page(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    narrative = narrative_or_404(membership, key)
    shown = revision_of(request, narrative)
    services.record_read(narrative, request.user, shown.revision)  # type: ignore[arg-type]
    readers = services.readership(narrative) if can_see_readership(membership, narrative) else None
    return render(
        request,
        "portal/narrative.html",
        {
            "narrative": narrative,
            "incident": narrative.incident,
            "shown": shown,
            "current": narrative.current_publication,
            "revisions": list(narrative.publications.order_by("-revision")),
            "html": content.html_of(shown),
            "readership": readers,
            "walkthroughs": narrative.walkthroughs.select_related("organiser"),
            "can_schedule": can_schedule_walkthrough(membership, narrative),
            "can_see_deliveries": can_see_deliveries(membership, narrative),
            "feed_token": membership.calendar_token,
            "actions": ImprovementAction.objects.filter(incident=narrative.incident)
            .select_related("owner_team")
            .order_by("id"),
        },
    )


@member_required
def present(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    narrative = narrative_or_404(membership, key)
    shown = revision_of(request, narrative)
    incident = narrative.incident
    subtitle = " · ".join(
        part
        for part in (
            incident.key,
            incident.team.name if incident.team else "",
            f"Revision {shown.revision}, published {shown.published_at:%d %B %Y}",
        )
        if part
    )
    return render(
        request,
        "portal/present.html",
        {
            "narrative": narrative,
            "shown": shown,
            "slides": content.slides(shown.title, content.body_of(shown), subtitle),
        },
    )


@member_required
def walkthrough_new(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    narrative = narrative_or_404(membership, key)
    forbid_unless(can_schedule_walkthrough(membership, narrative))
    form = WalkthroughForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            walkthrough = services.schedule_walkthrough(
                narrative,
                request.user,  # type: ignore[arg-type]
                kind=data["kind"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                location=data["location"],
                people=data["people"],
                teams=data["teams"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, f"{walkthrough.get_kind_display()} scheduled.")
            return redirect("portal_walkthrough", key=key, uid=walkthrough.uid)
    return render(request, "portal/walkthrough_form.html", {"narrative": narrative, "form": form})


def walkthrough_or_404(narrative: Narrative, uid: UUID) -> Walkthrough:
    found = narrative.walkthroughs.select_related("organiser").filter(uid=uid).first()
    if found is None:
        raise Http404("No such walkthrough.")
    return found


@member_required
def walkthrough_detail(
    request: HttpRequest, membership: Membership, key: str, uid: UUID
) -> HttpResponse:
    narrative = narrative_or_404(membership, key)
    walkthrough = walkthrough_or_404(narrative, uid)
    may_change = can_schedule_walkthrough(membership, narrative)
    times = WalkthroughTimesForm(
        initial={
            "starts_at": walkthrough.starts_at,
            "ends_at": walkthrough.ends_at,
            "location": walkthrough.location,
        }
    )
    attendance = AttendanceForm(
        walkthrough=walkthrough,
        initial={
            "attended": list(
                walkthrough.attendees.filter(attended=True).values_list("user_id", flat=True)
            )
        },
    )
    organises = may_change or walkthrough.organiser_id == membership.user_id
    if request.method == "POST" and request.POST.get("action") == "send_again":
        forbid_unless(organises)
        again = services.send_again(walkthrough)
        said = f"Sending again to {', '.join(again)}." if again else "All were delivered."
        messages.info(request, said)
        return redirect("portal_walkthrough", key=key, uid=uid)
    if request.method == "POST":
        forbid_unless(may_change)
        if request.POST.get("action") == "reschedule":
            times = WalkthroughTimesForm(request.POST)
            if times.is_valid():
                services.reschedule(walkthrough, **times.cleaned_data)
                messages.info(request, "Rescheduled: invitations now carry the new time.")
                return redirect("portal_walkthrough", key=key, uid=uid)
        else:
            attendance = AttendanceForm(request.POST, walkthrough=walkthrough)
            if attendance.is_valid():
                people = attendance.cleaned_data["attended"]
                count = services.record_attendance(walkthrough, [p.pk for p in people])
                messages.info(request, f"Attendance recorded: {count} attended.")
                return redirect("portal_walkthrough", key=key, uid=uid)
    return render(
        request,
        "portal/walkthrough.html",
        {
            "narrative": narrative,
            "walkthrough": walkthrough,
            "attendees": services.attendees(walkthrough),
            "may_change": may_change,
            "undelivered": undelivered(f"walkthrough:{walkthrough.pk}") if organises else [],
            "times": times,
            "attendance": attendance,
        },
    )


@member_required
def walkthrough_invitation(
    request: HttpRequest, membership: Membership, key: str, uid: UUID
) -> HttpResponse:
    """The .ics for one attendee: yourself by default, ?attendee=ID for whoever schedules."""
    narrative = narrative_or_404(membership, key)
    walkthrough = walkthrough_or_404(narrative, uid)
    asked = request.GET.get("attendee", str(membership.user_id))
    if not asked.isdigit():
        raise Http404("An attendee is a number.")
    forbid_unless(can_get_walkthrough_invitation(membership, walkthrough, int(asked)))
    person = User.objects.filter(pk=int(asked), walkthroughs__walkthrough=walkthrough).first()
    if person is None:
        raise Http404("This person is not invited.")
    response = HttpResponse(invitation(walkthrough, person), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{key}-{walkthrough.kind}.ics"'
    return response
