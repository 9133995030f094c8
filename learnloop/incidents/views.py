from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_edit_incident,
    can_manage_incident,
    can_record_incident,
    incidents_for,
)
from learnloop.incidents import services
from learnloop.incidents.forms import (
    DecisionForm,
    FilterForm,
    IncidentForm,
    PolicyForm,
    ResponderForm,
)
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.queries import IncidentFilter, listing
from learnloop.insights.search import similar_incidents

PAGE_SIZE = 25


def incident_or_404(membership: Membership, key: str) -> Incident:
    incident = (
        incidents_for(membership)
        .select_related("team", "service", "organisation")
        .filter(key=key)
        .first()
    )
    if incident is None:
        raise Http404("No such incident.")
    return incident


@member_required
def incident_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = FilterForm(request.GET or None, membership=membership)
    incidents = incidents_for(membership)
    if form.is_valid():
        data = form.cleaned_data
        incidents = IncidentFilter(
            team=data["team"] or None,
            service=data["service"] or None,
            severity=data["severity"],
            status=data["status"] or None,
            of_consequence=data["of_consequence"] or None,
            started_from=data["started_from"],
            started_to=data["started_to"],
            q=data["q"],
        ).apply(incidents, membership.organisation_id)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    # One row more than a page tells whether a next page exists, without counting them all.
    rows = list(listing(incidents)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "incidents": rows[:PAGE_SIZE],
            "page": page,
            "has_next": len(rows) > PAGE_SIZE,
            "query": query.urlencode(),
            "can_record": can_record_incident(membership),
        },
    )


@member_required
def incident_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(can_record_incident(membership))
    form = IncidentForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        people = data.pop("responders")
        try:
            with transaction.atomic():
                incident = services.record_incident(
                    membership.organisation,
                    request.user,  # type: ignore[arg-type]
                    responders=[(p, ResponseRole.ON_CALL) for p in people],
                    **data,
                )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.info(request, _consequence_message(incident))
            return redirect("incident_detail", key=incident.key)
    return render(request, "incidents/form.html", {"form": form, "incident": None})


def _consequence_message(incident: Incident) -> str:
    if incident.of_consequence:
        count = incident.assignments.count()
        return (
            f"{incident.key} is of consequence: {count} analysis "
            f"period{'s' if count != 1 else ''} opened."
        )
    return f"{incident.key} recorded."


@member_required
def incident_edit(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    forbid_unless(can_edit_incident(membership, incident))
    form = IncidentForm(request.POST or None, instance=incident, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        people = data.pop("responders")
        with transaction.atomic():
            services.replace_responders(incident, [(p, None) for p in people])
            services.update_incident(incident, **data)
        messages.info(request, _consequence_message(incident))
        return redirect("incident_detail", key=incident.key)
    return render(request, "incidents/form.html", {"form": form, "incident": incident})


@member_required
def incident_detail(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    return _detail(request, membership, incident_or_404(membership, key))


def _detail(
    request: HttpRequest,
    membership: Membership,
    incident: Incident,
    decision_form: DecisionForm | None = None,
    responder_form: ResponderForm | None = None,
) -> HttpResponse:
    """The incident's page; a form that failed comes back bound, its errors beside its fields."""
    failed = decision_form is not None or responder_form is not None
    manage = can_manage_incident(membership, incident)
    if manage and responder_form is None:
        responder_form = ResponderForm(membership=membership)
    assignments = incident.assignments.select_related("analyst", "report")
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "responders": incident.responders.select_related("user"),
            "decisions": incident.consequence_decisions.select_related("decided_by"),
            "assignments": assignments,
            "key_events": incident.key_events.filter(assignment__isnull=True),
            "factors": incident.contributing_factors.all(),
            "actions": incident.improvement_actions.all(),
            "themes": incident.themes.all(),
            "can_manage": manage,
            "can_edit": can_edit_incident(membership, incident),
            "decision_form": decision_form or DecisionForm(),
            "responder_form": responder_form if manage else None,
        },
        status=400 if failed else 200,
    )


@require_POST
@member_required
def incident_decide(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    if not can_manage_incident(membership, incident):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    if form.is_valid():
        services.decide_by_hand(
            incident,
            form.cleaned_data["of_consequence"],
            form.cleaned_data["reason"],
            by=request.user,  # type: ignore[arg-type]
        )
        messages.info(request, _consequence_message(incident))
        return redirect("incident_detail", key=incident.key)
    return _detail(request, membership, incident, decision_form=form)


@require_POST
@member_required
def incident_add_responder(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    forbid_unless(can_manage_incident(membership, incident))
    form = ResponderForm(request.POST, membership=membership)
    if form.is_valid():
        services.add_responder(
            incident, form.cleaned_data["user"], form.cleaned_data["response_role"]
        )
        messages.info(request, "Responder added.")
        return redirect("incident_detail", key=incident.key)
    return _detail(request, membership, incident, responder_form=form)


@member_required
def policy_edit(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's consequence policy; only its admins change it."""
    forbid_unless(membership.is_admin)
    form = PolicyForm(request.POST or None, instance=services.policy_for(membership.organisation))
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.info(
            request, "Policy saved. It applies to incidents recorded or changed from now."
        )
        return redirect("policy_edit")
    return render(request, "incidents/policy.html", {"form": form})


@member_required
def incident_similar(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    """Loaded after the page (HTMX), so the incident page stays fast on large organisations."""
    incident = incident_or_404(membership, key)
    scored = similar_incidents(incident, membership)
    found = {
        other.key: other
        for other in Incident.objects.filter(
            organisation_id=membership.organisation_id, key__in=[k for k, _ in scored]
        ).select_related("team")
    }
    similar = [(found[k], round(score * 100)) for k, score in scored if k in found]
    # Loaded into the incident page, the list alone; opened on its own, a whole page.
    template = (
        "incidents/similar.html"
        if request.headers.get("HX-Request")
        else "incidents/similar_page.html"
    )
    return render(request, template, {"incident": incident, "similar": similar})
