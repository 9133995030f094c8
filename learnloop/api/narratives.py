"""API: the narrative of an incident: versions (a stale save answers 409 with both texts), the
difference between two versions, the language check, the generated draft, status and publishing."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from ninja import Field, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_edit_narrative,
    can_publish_narrative,
    can_see_narrative_drafts,
)
from learnloop.api.common import BIGGEST, RowId, Schema, member, require
from learnloop.api.common import incident as incident_for
from learnloop.incidents.models import Incident
from learnloop.lib import language, textdiff
from learnloop.lib.markdown import render
from learnloop.narratives import services
from learnloop.narratives.draft import generate_draft
from learnloop.narratives.models import Narrative, NarrativeStatus, NarrativeVersion, Publication
from learnloop.narratives.services import MAX_BODY

router = Router(tags=["narratives"])


class VersionOut(Schema):
    number: int
    body: str
    body_html: str
    author: str | None
    note: str
    created_at: datetime

    @staticmethod
    def of(version: NarrativeVersion) -> VersionOut:
        return VersionOut(
            number=version.number,
            body=version.body,
            body_html=render(version.body),
            author=_email(version.author),
            note=version.note,
            created_at=version.created_at,
        )


class VersionSummaryOut(Schema):
    number: int
    author: str | None
    note: str
    created_at: datetime
    published_as: list[int]


class NarrativeOut(Schema):
    incident: str
    title: str
    status: NarrativeStatus
    published_at: datetime | None
    current_revision: int | None
    unpublished_versions: int
    latest_version: VersionOut | None


class VersionIn(Schema):
    body: str = Field(..., max_length=MAX_BODY)
    note: str = Field("", max_length=300)
    base_version: int = Field(
        ..., ge=0, le=BIGGEST, description="The version the text is based on (0: none)"
    )


class ConflictOut(Schema):
    detail: str
    latest_version: VersionOut
    your_body: str
    base_version: int


class DiffRowOut(Schema):
    change: str
    old_number: int | None
    old_text: str
    new_number: int | None
    new_text: str


class DiffOut(Schema):
    from_version: int
    to_version: int
    unified: str
    rows: list[DiffRowOut]


class CheckIn(Schema):
    text: str = Field(..., max_length=MAX_BODY)
    people_names: list[str] = Field(default_factory=list, max_length=200)


class FindingOut(Schema):
    line: int
    column: int
    phrase: str
    why: str
    suggestion: str


class StatusIn(Schema):
    status: NarrativeStatus


class PublicationOut(Schema):
    uid: str
    revision: int
    version: int
    title: str
    published_at: datetime
    published_by: str | None

    @staticmethod
    def of(publication: Publication) -> PublicationOut:
        return PublicationOut(
            uid=str(publication.uid),
            revision=publication.revision,
            version=publication.version.number,
            title=publication.title,
            published_at=publication.published_at,
            published_by=_email(publication.published_by),
        )


def _email(user: User | None) -> str | None:
    return user.email if user is not None else None


def _incident(membership: Membership, key: str) -> Incident:
    """The incident, when the caller may see its narrative while it is written; 404 otherwise."""
    found = incident_for(membership, key)
    if not can_see_narrative_drafts(membership, found):
        raise Http404("No such narrative.")
    return found


def _narrative(incident: Incident) -> Narrative:
    found = (
        Narrative.objects.select_related("current_publication__version")
        .filter(incident=incident)
        .first()
    )
    if found is None:
        raise Http404("This incident has no narrative yet.")
    return found


def _version(narrative: Narrative, number: RowId) -> NarrativeVersion:
    found = narrative.versions.select_related("author").filter(number=number).first()
    if found is None:
        raise Http404(f"No version {number}.")
    return found


def _narrative_out(narrative: Narrative) -> NarrativeOut:
    latest = narrative.latest_version()
    current = narrative.current_publication
    unpublished = services.unpublished_changes(narrative)
    return NarrativeOut(
        incident=narrative.incident.key,
        title=narrative.title,
        status=NarrativeStatus(narrative.status),
        published_at=narrative.published_at,
        current_revision=current.revision if current else None,
        unpublished_versions=unpublished.versions if unpublished else 0,
        latest_version=VersionOut.of(latest) if latest else None,
    )


@router.get(
    "/incidents/{key}/narrative",
    response=NarrativeOut,
    summary="The narrative: status, current revision and latest version",
)
def get_narrative(request: HttpRequest, key: str) -> NarrativeOut:
    return _narrative_out(_narrative(_incident(member(request), key)))


@router.get(
    "/incidents/{key}/narrative/versions",
    response=list[VersionSummaryOut],
    summary="Every version, newest first",
)
def list_versions(request: HttpRequest, key: str) -> list[VersionSummaryOut]:
    narrative = _narrative(_incident(member(request), key))
    revisions: dict[int, list[int]] = {}
    for publication in narrative.publications.all():
        revisions.setdefault(publication.version_id, []).append(publication.revision)
    return [
        VersionSummaryOut(
            number=v.number,
            author=_email(v.author),
            note=v.note,
            created_at=v.created_at,
            published_as=revisions.get(v.pk, []),
        )
        for v in narrative.versions.select_related("author").order_by("-number")
    ]


@router.get(
    "/incidents/{key}/narrative/versions/{number}",
    response=VersionOut,
    summary="One version",
)
def get_version(request: HttpRequest, key: str, number: RowId) -> VersionOut:
    narrative = _narrative(_incident(member(request), key))
    return VersionOut.of(_version(narrative, number))


@router.post(
    "/incidents/{key}/narrative/versions",
    response={201: VersionOut, 409: ConflictOut},
    summary="Save a version; refused with both texts when based on an older version",
)
def save_version(
    request: HttpRequest, key: str, payload: VersionIn
) -> Status[VersionOut] | Status[ConflictOut]:
    membership = member(request)
    incident = _incident(membership, key)
    require(can_edit_narrative(membership, incident))
    narrative = services.narrative_for(incident)
    try:
        version = services.save_version(
            narrative,
            payload.body,
            request.user,  # type: ignore[arg-type]
            payload.base_version,
            payload.note,
        )
    except services.StaleVersionError as stale:
        return Status(
            409,
            ConflictOut(
                detail=str(stale),
                latest_version=VersionOut.of(stale.latest),
                your_body=stale.body,
                base_version=stale.base_version,
            ),
        )
    return Status(201, VersionOut.of(version))


@router.get(
    "/incidents/{key}/narrative/diff",
    response=DiffOut,
    summary="The difference between two versions",
)
def diff_versions(
    request: HttpRequest, key: str, from_version: RowId, to_version: RowId
) -> DiffOut:
    narrative = _narrative(_incident(member(request), key))
    old, new = _version(narrative, from_version), _version(narrative, to_version)
    return DiffOut(
        from_version=old.number,
        to_version=new.number,
        unified=textdiff.unified(
            old.body, new.body, f"version {old.number}", f"version {new.number}"
        ),
        rows=[DiffRowOut(**row.__dict__) for row in textdiff.side_by_side(old.body, new.body)],
    )


@router.post(
    "/language-check",
    response=list[FindingOut],
    summary="Check any text for blame wording (informs, never blocks)",
)
def check_language(request: HttpRequest, payload: CheckIn) -> list[FindingOut]:
    member(request)
    return [FindingOut(**f.__dict__) for f in language.check(payload.text, payload.people_names)]


@router.post(
    "/incidents/{key}/narrative/language-check",
    response=list[FindingOut],
    summary="Check the latest version, with the names of the incident's people",
)
def check_narrative_language(request: HttpRequest, key: str) -> list[FindingOut]:
    incident = _incident(member(request), key)
    latest = _narrative(incident).latest_version()
    text = latest.body if latest else ""
    return [FindingOut(**f.__dict__) for f in language.check(text, services.people_names(incident))]


@router.post(
    "/incidents/{key}/narrative/generate",
    response={201: VersionOut},
    summary="Generate a draft from the incident and its review, saved as the next version",
)
def generate(request: HttpRequest, key: str) -> Status[VersionOut]:
    membership = member(request)
    incident = _incident(membership, key)
    require(can_edit_narrative(membership, incident))
    return Status(201, VersionOut.of(generate_draft(incident, request.user)))  # type: ignore[arg-type]


@router.post(
    "/incidents/{key}/narrative/status",
    response=NarrativeOut,
    summary="Move between draft and in review",
)
def change_status(request: HttpRequest, key: str, payload: StatusIn) -> NarrativeOut:
    membership = member(request)
    incident = _incident(membership, key)
    require(can_edit_narrative(membership, incident))
    services.change_status(_narrative(incident), payload.status)
    return _narrative_out(_narrative(incident))


@router.post(
    "/incidents/{key}/narrative/publish",
    response={201: PublicationOut},
    summary="Publish the latest version as the next revision",
)
def publish(request: HttpRequest, key: str) -> Status[PublicationOut]:
    membership = member(request)
    incident = _incident(membership, key)
    require(can_publish_narrative(membership, incident))
    publication = services.publish(_narrative(incident), request.user)  # type: ignore[arg-type]
    return Status(201, PublicationOut.of(publication))
