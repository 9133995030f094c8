"""Channel settings (organisation admins; a team's product manager) with "send a test", and the
deliveries of a narrative with every attempt and "send again"."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import (
    can_manage_channel,
    can_resend_delivery,
    can_see_deliveries,
)
from learnloop.narratives.models import Narrative
from learnloop.publishing import services
from learnloop.publishing.forms import ChannelForm
from learnloop.publishing.models import UNFINISHED, Delivery, PublishChannel


def _settings_page(request: HttpRequest, membership: Membership, team: Team | None) -> HttpResponse:
    blank = PublishChannel(organisation_id=membership.organisation_id, team=team)
    forbid_unless(can_manage_channel(membership, blank))
    form = ChannelForm(request.POST or None, instance=blank)
    if request.method == "POST" and form.is_valid():
        channel = form.save()
        messages.info(request, f"Channel {channel.name} added. Send a test to check it.")
        return _back(channel)
    channels = PublishChannel.objects.filter(
        organisation_id=membership.organisation_id, team=team
    ).order_by("name")
    return render(
        request,
        "publishing/channels.html",
        {"team": team, "channels": channels, "form": form},
        status=422 if form.errors else 200,
    )


@member_required
def org_channels(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _settings_page(request, membership, None)


@member_required
def team_channels(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    return _settings_page(request, membership, team)


def channel_or_404(membership: Membership, pk: int) -> PublishChannel:
    channel = (
        PublishChannel.objects.select_related("team")
        .filter(pk=pk, organisation_id=membership.organisation_id)
        .first()
    )
    if channel is None:
        raise Http404("No such channel.")
    forbid_unless(can_manage_channel(membership, channel))
    return channel


def _back(channel: PublishChannel) -> HttpResponse:
    if channel.team is not None:
        return redirect("team_channels", slug=channel.team.slug)
    return redirect("org_channels")


@member_required
def channel_edit(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    channel = channel_or_404(membership, pk)
    form = ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.info(request, "Saved.")
        return _back(channel)
    return render(
        request,
        "publishing/channel_edit.html",
        {"channel": channel, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
@member_required
def channel_delete(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    channel = channel_or_404(membership, pk)
    channel.delete()
    messages.info(request, f"Channel {channel.name} removed; its deliveries stay in the history.")
    return _back(channel)


@require_POST
@member_required
def channel_test(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    channel = channel_or_404(membership, pk)
    services.send_test(channel, membership.user.get_full_name() or membership.user.email)
    if request.headers.get("HX-Request"):
        return render(request, "publishing/_test_result.html", {"channel": channel})
    (messages.info if channel.last_test_ok else messages.error)(request, channel.last_test)
    return _back(channel)


def narrative_or_404(membership: Membership, key: str) -> Narrative:
    narrative = (
        Narrative.objects.select_related("incident__team")
        .filter(incident__organisation_id=membership.organisation_id, incident__key=key)
        .first()
    )
    if narrative is None or not can_see_deliveries(membership, narrative):
        raise Http404("No such narrative.")
    return narrative


@member_required
def narrative_deliveries(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    narrative = narrative_or_404(membership, key)
    deliveries = (
        Delivery.objects.filter(narrative=narrative)
        .select_related("publication")
        .prefetch_related("attempt_log")
        .order_by("-publication__revision", "channel_name", "id")
    )
    context = {
        "narrative": narrative,
        "deliveries": deliveries,
        "may_resend": can_resend_delivery(membership, narrative),
        "unfinished": any(d.state in UNFINISHED for d in deliveries),
    }
    template = "publishing/_deliveries.html" if request.headers.get("HX-Request") else None
    return render(request, template or "publishing/deliveries.html", context)


@require_POST
@member_required
def delivery_resend(request: HttpRequest, membership: Membership, uid: str) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.select_related("narrative__incident"),
        uid=uid,
        narrative__incident__organisation_id=membership.organisation_id,
    )
    if not can_see_deliveries(membership, delivery.narrative):
        raise Http404("No such delivery.")
    forbid_unless(can_resend_delivery(membership, delivery.narrative))
    try:
        services.send_again(delivery, membership.user.get_full_name() or membership.user.email)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Queued again for {delivery.channel_name}.")
    return redirect("narrative_deliveries", key=delivery.narrative.incident.key)
