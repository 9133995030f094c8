from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_change_action, can_rank_backlog
from learnloop.actions.views import action_or_404
from learnloop.trackers import services, webhooks
from learnloop.trackers.forms import ConnectionForm
from learnloop.trackers.models import TrackerConnection, TrackerPush


@member_required
def tracker_settings(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    forbid_unless(can_rank_backlog(membership, team))
    connection = TrackerConnection.objects.filter(team=team).first()
    form = ConnectionForm(request.POST or None, instance=connection or TrackerConnection(team=team))
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        ok = services.check(saved)
        (messages.info if ok else messages.error)(request, saved.last_check)
        return redirect("tracker_settings", slug=team.slug)
    pushes = (
        TrackerPush.objects.filter(connection__team=team)
        .select_related("action")
        .order_by("-created_at")[:50]
    )
    webhook = request.build_absolute_uri(
        f"/trackers/webhooks/{team.organisation.slug}/{team.slug}/"
    )
    return render(
        request,
        "trackers/settings.html",
        {
            "team": team,
            "form": form,
            "connection": connection,
            "pushes": pushes,
            "webhook": webhook,
        },
    )


@require_POST
@member_required
def push_action(request: HttpRequest, membership: Membership, uid: str) -> HttpResponse:
    action = action_or_404(membership, uid)
    forbid_unless(can_change_action(membership, action))
    try:
        services.enqueue(action)
    except services.NoTracker as error:
        messages.error(request, str(error))
    else:
        messages.info(request, "Queued: the worker files it in the tracker and links it here.")
    return redirect("action_detail", uid=action.uid)


@csrf_exempt  # signed by the vendor instead; checked before anything is read
@require_http_methods(["HEAD", "POST"])
def webhook(request: HttpRequest, org: str, slug: str) -> HttpResponse:
    connection = TrackerConnection.objects.filter(
        team__organisation__slug=org, team__slug=slug
    ).first()
    if connection is None:
        return HttpResponse("No such tracker.", status=404)
    if request.method == "HEAD":
        return HttpResponse(status=200)  # Trello checks the callback so before it creates one
    try:
        webhooks.verify(connection, request, request.build_absolute_uri(request.path))
    except webhooks.Forged as error:
        return HttpResponse(str(error), status=403)
    try:
        payload = webhooks.parse(request.body)
    except ValueError as error:
        return HttpResponse(f"Bad payload: {error}", status=400)
    change = webhooks.status_change(connection.kind, payload)
    if change is not None:
        services.apply_tracker_status(connection, *change)
    return HttpResponse(status=204)
