"""Improvement actions and the team's backlog: thin views over services and backlog."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_change_action, can_edit_incident, can_rank_backlog
from learnloop.actions import backlog, services
from learnloop.actions.forms import ActionForm, FeatureForm, PlacementForm, TransitionForm
from learnloop.actions.models import ImprovementAction, PlannedFeature
from learnloop.actions.recurrence import recurrences
from learnloop.actions.similarity import similar_actions
from learnloop.incidents.views import incident_or_404
from learnloop.lib.cost_of_delay import cd3


def action_or_404(membership: Membership, uid: str) -> ImprovementAction:
    action = (
        ImprovementAction.objects.select_related("incident", "owner_team", "learning")
        .filter(uid=uid, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if action is None:
        raise Http404("No such improvement action.")
    return action


@member_required
def action_detail(request: HttpRequest, membership: Membership, uid: str) -> HttpResponse:
    action = action_or_404(membership, uid)
    organisation_actions = ImprovementAction.objects.filter(
        incident__organisation_id=membership.organisation_id
    )
    return render(
        request,
        "actions/detail.html",
        {
            "action": action,
            "changes": action.changes.select_related("by"),
            "accrued": services.accrued_cost_of_delay(action),
            "cd3": cd3(action.cost_of_delay_per_week, action.estimate_weeks),
            "target": action.target_at,
            "overdue": services.is_overdue(action, timezone.now()),
            "can_change": can_change_action(membership, action),
            "form": TransitionForm(initial={"status": action.status}),
            "recurrences": recurrences(action),
            "similar": similar_actions(
                action.title, organisation_actions, exclude_incident_id=action.incident_id
            ),
        },
    )


@require_POST
@member_required
def action_transition(request: HttpRequest, membership: Membership, uid: str) -> HttpResponse:
    action = action_or_404(membership, uid)
    forbid_unless(can_change_action(membership, action))
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a lifecycle status.")
        return redirect("action_detail", uid=action.uid)
    try:
        services.transition(
            action,
            form.cleaned_data["status"],
            request.user,  # type: ignore[arg-type]
            evidence=form.cleaned_data["evidence"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.info(request, f"Now {action.get_status_display().lower()}.")
    return redirect("action_detail", uid=action.uid)


@member_required
def action_edit(request: HttpRequest, membership: Membership, uid: str) -> HttpResponse:
    """What the action is and what it is worth: an action drafted in a review is estimated here."""
    action = action_or_404(membership, uid)
    forbid_unless(can_change_action(membership, action))
    form = ActionForm(request.POST or None, instance=action, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.EDITABLE}
        data["themes"] = list(form.cleaned_data["themes"])
        fresh = ImprovementAction.objects.get(pk=action.pk)  # the form has changed `action`
        try:
            said = services.update_action(fresh, request.user, **data)  # type: ignore[arg-type]
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, "Saved." if said else "Nothing changed.")
            return redirect("action_detail", uid=action.uid)
    return render(request, "actions/edit.html", {"form": form, "action": action})


@member_required
def action_new(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    forbid_unless(can_edit_incident(membership, incident))
    form = ActionForm(
        request.POST or None, membership=membership, initial={"owner_team": incident.team_id}
    )
    similar = []
    if request.method == "POST" and form.is_valid():
        duplicate_of = request.POST.get("duplicate_of")
        if duplicate_of:
            original = action_or_404(membership, duplicate_of)
            messages.info(
                request,
                f"Linked to the existing action from {original.incident.key} "
                "instead of filing it again.",
            )
            return redirect("action_detail", uid=original.uid)
        similar = similar_actions(
            form.cleaned_data["title"],
            ImprovementAction.objects.filter(incident__organisation_id=membership.organisation_id),
            exclude_incident_id=incident.pk,
        )
        if similar and request.POST.get("confirm") != "yes":
            return render(
                request,
                "actions/form.html",
                {"form": form, "incident": incident, "similar": similar},
            )
        action = services.add_action(incident, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.info(request, "Improvement action recorded as an idea.")
        return redirect("action_detail", uid=action.uid)
    return render(
        request, "actions/form.html", {"form": form, "incident": incident, "similar": similar}
    )


@member_required
def team_backlog(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    can_rank = can_rank_backlog(membership, team)
    feature_form = FeatureForm(request.POST or None)
    if request.method == "POST":
        forbid_unless(can_rank)
        if feature_form.is_valid():
            feature = feature_form.save(commit=False)
            feature.team = team
            feature.save()
            messages.info(request, "Feature added to the backlog.")
            return redirect("team_backlog", slug=team.slug)
    return render(
        request,
        "actions/backlog.html",
        {
            "team": team,
            "items": backlog.ranked(team),
            "can_rank": can_rank,
            "feature_form": feature_form,
            "teams": Team.objects.filter(organisation_id=membership.organisation_id),
        },
    )


@require_POST
@member_required
def team_backlog_place(request: HttpRequest, membership: Membership, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, organisation_id=membership.organisation_id, slug=slug)
    forbid_unless(can_rank_backlog(membership, team))
    form = PlacementForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the item and a rank of 1 or more.")
        return redirect("team_backlog", slug=team.slug)
    data = form.cleaned_data
    item: ImprovementAction | PlannedFeature
    if data["kind"] == "action":
        item = get_object_or_404(ImprovementAction, pk=data["item"], owner_team=team)
    else:
        item = get_object_or_404(PlannedFeature, pk=data["item"], team=team)
    backlog.place(team, item, data["rank"], request.user, data["reason"])  # type: ignore[arg-type]
    messages.info(request, f"Placed “{item.title}” at rank {data['rank']}.")
    return redirect("team_backlog", slug=team.slug)
