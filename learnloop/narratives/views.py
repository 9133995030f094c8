"""The narrative's pages: the editor with its preview and language check, the history, the
difference between two versions, status and publishing. Thin: rules are in services.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_edit_narrative,
    can_publish_narrative,
    can_see_narrative_drafts,
)
from learnloop.incidents.models import Incident
from learnloop.incidents.views import incident_or_404
from learnloop.lib import language, textdiff
from learnloop.lib.markdown import render as render_markdown
from learnloop.narratives import services
from learnloop.narratives.draft import generate_draft
from learnloop.narratives.forms import PreviewForm, StatusForm, VersionForm
from learnloop.narratives.models import Narrative, NarrativeVersion


def _incident(membership: Membership, key: str) -> Incident:
    """The incident, if this person may see its narrative while it is written; 404 otherwise,
    so that drafts do not reveal themselves to anyone else."""
    incident = incident_or_404(membership, key)
    if not can_see_narrative_drafts(membership, incident):
        raise Http404("No such narrative.")
    return incident


def _narrative(incident: Incident) -> Narrative | None:
    return (
        Narrative.objects.select_related("current_publication__version")
        .filter(incident=incident)
        .first()
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _editor(
    request: HttpRequest,
    membership: Membership,
    incident: Incident,
    narrative: Narrative | None,
    form: VersionForm,
    conflict: services.StaleVersionError | None = None,
    status: int = 200,
) -> HttpResponse:
    latest = narrative.latest_version() if narrative else None
    body = form["body"].value() or ""
    return render(
        request,
        "narratives/edit.html",
        {
            "incident": incident,
            "narrative": narrative,
            "latest": latest,
            "form": form,
            "conflict": conflict,
            "preview": render_markdown(str(body)),
            "findings": language.check(str(body), services.people_names(incident)),
            "unpublished": services.unpublished_changes(narrative) if narrative else None,
            "can_publish": can_publish_narrative(membership, incident),
            "status_form": StatusForm(initial={"status": narrative.status if narrative else ""}),
        },
        status=status,
    )


@member_required
def narrative_edit(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    narrative = _narrative(incident)
    if request.method != "POST":
        latest = narrative.latest_version() if narrative else None
        form = VersionForm(
            initial={"body": latest.body if latest else "", "base_version": _number(latest)}
        )
        return _editor(request, membership, incident, narrative, form)
    forbid_unless(can_edit_narrative(membership, incident))
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _editor(request, membership, incident, narrative, form, status=422)
    data = form.cleaned_data
    try:
        version = services.save_version(
            narrative or services.narrative_for(incident),
            data["body"],
            request.user,  # type: ignore[arg-type]
            data["base_version"],
            data["note"],
        )
    except services.StaleVersionError as stale:
        # The editor keeps the person's own text; the form is now based on the newer version,
        # so that saving again (after comparing) keeps both as versions.
        form = VersionForm(
            initial={
                "body": data["body"],
                "note": data["note"],
                "base_version": stale.latest.number,
            }
        )
        return _editor(request, membership, incident, _narrative(incident), form, stale, 409)
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                # The base version is a hidden field: its problem is shown above the editor.
                form.add_error(field if field in ("body", "note") else None, problem)
        return _editor(request, membership, incident, narrative, form, status=422)
    messages.info(request, f"Saved as version {version.number}.")
    return redirect("narrative_edit", key=incident.key)


def _number(version: NarrativeVersion | None) -> int:
    return version.number if version else 0


@require_POST
@member_required
def narrative_preview(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    form = PreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(
        request,
        "narratives/preview.html",
        {
            "preview": render_markdown(body),
            "findings": language.check(body, services.people_names(incident)),
        },
    )


@require_POST
@member_required
def narrative_generate(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    forbid_unless(can_edit_narrative(membership, incident))
    version = generate_draft(incident, request.user)  # type: ignore[arg-type]
    messages.info(
        request,
        f"A draft was generated as version {version.number}; earlier versions are kept in the "
        "history.",
    )
    target = reverse("narrative_edit", kwargs={"key": incident.key})
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


@require_POST
@member_required
def narrative_status(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    forbid_unless(can_edit_narrative(membership, incident))
    narrative = _narrative(incident)
    if narrative is None:
        raise Http404("No narrative yet.")
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose draft or in review.")
        return redirect("narrative_edit", key=incident.key)
    try:
        narrative = services.change_status(narrative, form.cleaned_data["status"])
    except ValidationError as error:
        _report(request, error)
    else:
        messages.info(request, f"The narrative is now {narrative.get_status_display().lower()}.")
    return redirect("narrative_edit", key=incident.key)


@require_POST
@member_required
def narrative_publish(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    forbid_unless(can_publish_narrative(membership, incident))
    narrative = _narrative(incident)
    if narrative is None:
        raise Http404("No narrative yet.")
    try:
        publication = services.publish(narrative, request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        _report(request, error)
    else:
        messages.info(
            request,
            f"Published revision {publication.revision} (version {publication.version.number}).",
        )
    return redirect("narrative_edit", key=incident.key)


def _report(request: HttpRequest, error: ValidationError) -> None:
    for problems in error.message_dict.values():
        for problem in problems:
            messages.error(request, problem)


@member_required
def narrative_history(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    narrative = _narrative(incident)
    versions: list[NarrativeVersion] = []
    revisions: dict[int, list[int]] = {}
    if narrative is not None:
        versions = list(narrative.versions.select_related("author").order_by("-number"))
        for publication in narrative.publications.all():
            revisions.setdefault(publication.version_id, []).append(publication.revision)
    return render(
        request,
        "narratives/history.html",
        {
            "incident": incident,
            "narrative": narrative,
            "rows": [(v, revisions.get(v.pk, [])) for v in versions],
        },
    )


@member_required
def narrative_version(
    request: HttpRequest, membership: Membership, key: str, number: int
) -> HttpResponse:
    incident = _incident(membership, key)
    version = _version(incident, number)
    return render(
        request,
        "narratives/version.html",
        {"incident": incident, "version": version, "html": render_markdown(version.body)},
    )


def _version(incident: Incident, number: int) -> NarrativeVersion:
    version = (
        NarrativeVersion.objects.select_related("author")
        .filter(narrative__incident=incident, number=number)
        .first()
    )
    if version is None:
        raise Http404(f"No version {number}.")
    return version


@member_required
def narrative_diff(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = _incident(membership, key)
    narrative = _narrative(incident)
    latest = narrative.latest_version() if narrative else None
    if latest is None:
        raise Http404("No versions yet.")
    newer = _chosen(request.GET.get("to"), latest.number)
    older = _chosen(request.GET.get("from"), max(newer - 1, 1))
    old, new = _version(incident, older), _version(incident, newer)
    rows = textdiff.side_by_side(old.body, new.body)
    context: dict[str, Any] = {
        "incident": incident,
        "old": old,
        "new": new,
        "rows": textdiff.around_changes(rows) if request.GET.get("all") != "1" else rows,
        "changed": sum(row.change != "equal" for row in rows),
        "all": request.GET.get("all") == "1",
        "numbers": range(latest.number, 0, -1),
    }
    return render(request, "narratives/diff.html", context)


def _chosen(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise Http404("Versions are numbered 1, 2, 3 ...")
    return int(raw)
