"""The receive endpoint the tools call, and the admins' pages: sources, deliveries, replay."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from learnloop.accounts.addresses import client_address
from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.intake import services, signatures
from learnloop.intake.forms import SourceForm
from learnloop.intake.models import IntakeDelivery, IntakeSource, Verdict
from learnloop.intake.setup import save_source

FORM_FIELDS = {"severity_map": "severities"}


@csrf_exempt  # signed by the tool instead; checked before anything is read
@transaction.non_atomic_requests  # the payload is committed before it is applied
@require_POST
def receive(request: HttpRequest, token: str) -> HttpResponse:
    source = IntakeSource.objects.select_related("organisation", "team").filter(token=token).first()
    if source is None or not source.active:
        return JsonResponse({"detail": "No such intake source."}, status=404)
    address = client_address(request) or ""
    body = request.body
    try:
        signatures.verify(source, request.headers, body)
    except signatures.Forged as error:
        services.refuse(source, str(error), address)
        return JsonResponse({"detail": str(error)}, status=401)
    delivery = services.process(services.keep(source, body, address))
    answer = {"verdict": delivery.verdict, "detail": delivery.detail, "delivery": delivery.pk}
    if delivery.incident_id:
        answer["incident"] = delivery.incident.key if delivery.incident else None
    return JsonResponse(answer, status=delivery.answer)


def _source(membership: Membership, pk: int) -> IntakeSource:
    forbid_unless(membership.is_admin)
    return get_object_or_404(IntakeSource, pk=pk, organisation_id=membership.organisation_id)


def _save(
    form: SourceForm, membership: Membership, source: IntakeSource | None
) -> IntakeSource | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return save_source(
            membership.organisation,
            source,
            kind=data["kind"],
            name=data["name"],
            team=data["team"].slug,
            secret=data["secret"],
            severity_map=data["severities"],
            rules=data["rules"],
            people=data["people"],
            active=data["active"],
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            name = FORM_FIELDS.get(field, field)
            form.add_error(name if name in form.fields else None, problems)
    return None


@member_required
def sources(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(membership.is_admin)
    organisation_id = membership.organisation_id
    form = SourceForm(request.POST or None, organisation_id=organisation_id)
    if request.method == "POST":
        saved = _save(form, membership, None)
        if saved is not None:
            messages.info(request, f"Source {saved.name} added: give the tool its address.")
            return redirect("intake_source", pk=saved.pk)
    found = IntakeSource.objects.filter(organisation_id=organisation_id).select_related("team")
    return render(request, "intake/sources.html", {"sources": found, "form": form})


@member_required
def source_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    source = _source(membership, pk)
    form = SourceForm(
        request.POST or None,
        initial=SourceForm.initial_of(source),
        organisation_id=membership.organisation_id,
    )
    if request.method == "POST" and _save(form, membership, source) is not None:
        messages.info(request, f"Source {source.name} saved.")
        return redirect("intake_source", pk=source.pk)
    deliveries = source.deliveries.select_related("incident")
    verdict = request.GET.get("verdict", "")
    if verdict in Verdict.values:
        deliveries = deliveries.filter(verdict=verdict)
    page = Paginator(deliveries, 50).get_page(request.GET.get("page"))
    receive_url = request.build_absolute_uri(source.receive_path())
    return render(
        request,
        "intake/source.html",
        {
            "source": source,
            "form": form,
            "page": page,
            "verdict": verdict,
            "verdicts": Verdict.choices,
            "receive_url": receive_url,
        },
    )


def _delivery(membership: Membership, pk: int) -> IntakeDelivery:
    forbid_unless(membership.is_admin)
    return get_object_or_404(
        IntakeDelivery.objects.select_related("source", "incident"),
        pk=pk,
        source__organisation_id=membership.organisation_id,
    )


@member_required
def delivery_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return render(request, "intake/delivery.html", {"delivery": _delivery(membership, pk)})


@require_POST
@member_required
def delivery_replay(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    delivery = _delivery(membership, pk)
    try:
        services.replay(delivery)
    except ValueError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, f"Replayed: {delivery.get_verdict_display()}. {delivery.detail}")
    return redirect("intake_delivery", pk=delivery.pk)
