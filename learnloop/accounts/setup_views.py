"""Setting up the organisation on pages: teams and their services, people. Admins only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from learnloop.accounts import setup
from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.forms import InviteForm, MemberForm, ServiceForm, TeamForm
from learnloop.accounts.models import Membership, Service, Team
from learnloop.mail.outbox import undelivered


def _said(form: Form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@member_required
def index(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Every setting of the organisation, for its admins, in one place."""
    forbid_unless(membership.is_admin)
    return render(request, "accounts/settings.html")


@member_required
def teams(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(membership.is_admin)
    organisation = membership.organisation
    team_form = TeamForm(request.POST if request.POST.get("form") == "team" else None)
    service_form = ServiceForm(
        request.POST if request.POST.get("form") == "service" else None,
        organisation_id=organisation.pk,
    )
    if request.method == "POST":
        form: Any = team_form if request.POST.get("form") == "team" else service_form
        if form.is_valid():
            data = form.cleaned_data
            try:
                if form is team_form:
                    team, created = setup.save_team(organisation, data["slug"], data["name"])
                    said = f"Team {team.name} {'added' if created else 'renamed'}."
                else:
                    service, created = setup.save_service(
                        organisation, data["slug"], data["name"], data["team"]
                    )
                    said = f"Service {service.name} {'added' if created else 'changed'}."
            except ValidationError as error:
                _said(form, error)
            else:
                messages.info(request, said)
                return redirect("setup_teams")
    return render(
        request,
        "accounts/setup_teams.html",
        {
            "teams": Team.objects.filter(organisation=organisation).prefetch_related("services"),
            "unowned": Service.objects.filter(organisation=organisation, team__isnull=True),
            "team_form": team_form,
            "service_form": service_form,
        },
    )


@member_required
def people(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(membership.is_admin)
    organisation = membership.organisation
    if request.POST.get("action") == "send_again":
        again = setup.send_again(organisation)
        messages.info(request, f"Sending again to {', '.join(again)}." if again else "All sent.")
        return redirect("setup_people")
    form = InviteForm(request.POST or None, organisation_id=organisation.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            added = setup.invite(
                organisation,
                data["email"],
                data["role"],
                data["team"],
                data["name"],
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            _said(form, error)
        else:
            messages.info(
                request, f"{added.user.email} invited: an email with a link is on its way."
            )
            return redirect("setup_people")
    members = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "team")
        .order_by("user__email")
    )
    rows = [
        (m, MemberForm(initial={"role": m.role, "team": m.team}, organisation_id=organisation.pk))
        for m in members
    ]
    failed = undelivered([f"membership:{m.pk}" for m in members])
    return render(
        request,
        "accounts/setup_people.html",
        {"form": form, "rows": rows, "undelivered": failed},
    )


@require_POST
@member_required
def member_change(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    forbid_unless(membership.is_admin)
    member = get_object_or_404(
        Membership.objects.select_related("user"), pk=pk, organisation=membership.organisation
    )
    try:
        if "active" in request.POST:
            setup.set_active(member, request.POST["active"] == "yes", by=membership)
            said = f"{member.user.email} is {'active' if member.user.is_active else 'deactivated'}."
        else:
            form = MemberForm(request.POST, organisation_id=membership.organisation_id)
            if not form.is_valid():
                raise ValidationError({k: v for k, v in form.errors.items()})
            setup.change_member(member, form.cleaned_data["role"], form.cleaned_data["team"])
            said = f"{member.user.email} is now {member.get_role_display()}."
    except ValidationError as error:
        for problems in error.message_dict.values():
            for problem in problems:
                messages.error(request, problem)
    else:
        messages.info(request, said)
    return redirect("setup_people")
