"""API: the portal of published narratives, their readership and walkthroughs."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router
from ninja.responses import Status

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import can_schedule_walkthrough, can_see_readership
from learnloop.api.common import Offset, RowId, Schema, member, require
from learnloop.incidents.models import Severity
from learnloop.lib.moments import Moment
from learnloop.narratives.models import Narrative, Publication, Walkthrough, WalkthroughKind
from learnloop.portal import content, services
from learnloop.portal.queries import filtered, published_narrative, searched_window

router = Router(tags=["portal"])


class NarrativeSummary(Schema):
    key: str
    title: str
    team: str | None
    service: str | None
    severity: int | None
    revision: int
    first_published_at: datetime | None
    revision_published_at: datetime
    url: str

    @staticmethod
    def of(found: Narrative, shown: Publication | None = None) -> NarrativeSummary:
        publication = shown or found.current_publication
        assert publication is not None
        incident = found.incident
        return NarrativeSummary(
            key=incident.key,
            title=publication.title,
            team=incident.team.slug if incident.team else None,
            service=incident.service.slug if incident.service else None,
            severity=incident.severity,
            revision=publication.revision,
            first_published_at=found.published_at,
            revision_published_at=publication.published_at,
            url=reverse("portal_narrative", args=[incident.key]),
        )


class PublishedNarrativeOut(NarrativeSummary):
    current_revision: int
    revisions: list[int]
    body: str = Field(..., description="The revision's Markdown.")
    html: str = Field(..., description="The revision rendered and sanitised.")


class NarrativePage(Schema):
    items: list[NarrativeSummary]
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


class PortalFilters(Schema):
    q: str = Field("", max_length=200, description="Every word must match (stemmed).")
    team: str | None = None
    service: str | None = None
    severity: Severity | None = None
    theme: str | None = None
    published_from: date | None = None
    published_to: date | None = None
    limit: int = Field(25, ge=1, le=100)
    offset: Offset = 0


class ReaderOut(Schema):
    email: str
    name: str
    first_read_at: datetime
    last_read_at: datetime
    last_revision: int


class ReadershipOut(Schema):
    unique_readers: int
    readers: list[ReaderOut]


class AttendeeOut(Schema):
    email: str
    attended: bool | None


class WalkthroughOut(Schema):
    uid: UUID
    kind: str
    starts_at: datetime
    ends_at: datetime
    location: str
    organiser: str | None
    sequence: int
    attendees: list[AttendeeOut]
    invitation_url: str

    @staticmethod
    def of(found: Walkthrough) -> WalkthroughOut:
        return WalkthroughOut(
            uid=found.uid,
            kind=found.kind,
            starts_at=found.starts_at,
            ends_at=found.ends_at,
            location=found.location,
            organiser=found.organiser.email if found.organiser else None,
            sequence=found.sequence,
            attendees=[
                AttendeeOut(email=a.user.email, attended=a.attended)
                for a in services.attendees(found)
            ],
            invitation_url=reverse(
                "portal_walkthrough_invitation", args=[found.narrative.incident.key, found.uid]
            ),
        )


class WalkthroughIn(Schema):
    kind: WalkthroughKind = WalkthroughKind.WALKTHROUGH
    starts_at: Moment
    ends_at: Moment
    location: str = Field("", max_length=300)
    people: list[str] = Field([], description="Emails of members to invite.")
    teams: list[str] = Field([], description="Slugs of teams whose members are all invited.")


class RescheduleIn(Schema):
    starts_at: Moment
    ends_at: Moment
    location: str | None = Field(None, max_length=300, description="Unchanged when left out.")


class AttendanceIn(Schema):
    attended: list[str] = Field(..., description="Emails of the invitees who attended.")


def _narrative(membership: Membership, key: str) -> Narrative:
    found = published_narrative(membership.organisation_id, key)
    if found is None:
        raise Http404("No published narrative has this key.")
    return found


@router.get(
    "/portal/narratives",
    response=NarrativePage,
    summary="List published narratives, newest first, with search and filters",
)
def list_published(request: HttpRequest, filters: Query[PortalFilters]) -> NarrativePage:
    membership = member(request)
    organisation = membership.organisation_id
    found = filtered(
        organisation,
        team=filters.team,
        service=filters.service,
        severity=int(filters.severity) if filters.severity else None,
        theme=filters.theme,
        published_from=filters.published_from,
        published_to=filters.published_to,
    )
    rows, more = searched_window(
        organisation, found, filters.q or "", filters.offset, filters.limit
    )
    return NarrativePage(
        items=[NarrativeSummary.of(n) for n in rows],
        next_offset=filters.offset + filters.limit if more else None,
    )


@router.get(
    "/portal/narratives/{key}",
    response=PublishedNarrativeOut,
    summary="Read a published narrative (the current revision, or `revision`); records the read",
)
def read_published(
    request: HttpRequest, key: str, revision: RowId | None = None
) -> PublishedNarrativeOut:
    membership = member(request)
    found = _narrative(membership, key)
    current = found.current_publication
    assert current is not None
    shown = current
    if revision is not None and revision != current.revision:
        chosen = found.publications.select_related("version").filter(revision=revision).first()
        if chosen is None:
            raise Http404("No such revision.")
        shown = chosen
    services.record_read(found, request.user, shown.revision)  # type: ignore[arg-type]
    summary = NarrativeSummary.of(found, shown)
    return PublishedNarrativeOut(
        **summary.dict(),
        current_revision=current.revision,
        revisions=list(found.publications.values_list("revision", flat=True)),
        body=content.body_of(shown),
        html=content.html_of(shown),
    )


@router.get(
    "/portal/narratives/{key}/readership",
    response=ReadershipOut,
    summary="Unique readers and who they are (the incident's people and the authors)",
)
def readership(request: HttpRequest, key: str) -> ReadershipOut:
    membership = member(request)
    found = _narrative(membership, key)
    require(can_see_readership(membership, found))
    result = services.readership(found)
    return ReadershipOut(
        unique_readers=result.unique_readers,
        readers=[
            ReaderOut(
                email=r.reader.email,
                name=r.reader.get_full_name(),
                first_read_at=r.first_read_at,
                last_read_at=r.last_read_at,
                last_revision=r.last_revision,
            )
            for r in result.readers
        ],
    )


@router.get(
    "/portal/narratives/{key}/walkthroughs",
    response=list[WalkthroughOut],
    summary="Walkthroughs and cross-team playbacks of a narrative",
)
def list_walkthroughs(request: HttpRequest, key: str) -> list[WalkthroughOut]:
    found = _narrative(member(request), key)
    return [WalkthroughOut.of(w) for w in found.walkthroughs.select_related("organiser")]


def _people(membership: Membership, emails: list[str], field: str) -> list[User]:
    people = []
    for index, email in enumerate(emails):
        person = User.objects.filter(
            email=email.strip().lower(), memberships__organisation_id=membership.organisation_id
        ).first()
        if person is None:
            raise ValidationError({f"{field}.{index}": f"No member '{email}'."})
        people.append(person)
    return people


@router.post(
    "/portal/narratives/{key}/walkthroughs",
    response={201: WalkthroughOut},
    summary="Schedule a walkthrough or cross-team playback, inviting people and whole teams",
)
def schedule(request: HttpRequest, key: str, payload: WalkthroughIn) -> Status[WalkthroughOut]:
    membership = member(request)
    found = _narrative(membership, key)
    require(can_schedule_walkthrough(membership, found))
    teams = []
    for index, slug in enumerate(payload.teams):
        team = Team.objects.filter(organisation_id=membership.organisation_id, slug=slug).first()
        if team is None:
            raise ValidationError({f"teams.{index}": f"No team '{slug}'."})
        teams.append(team)
    people = _people(membership, payload.people, "people")
    if not people and not teams:
        raise ValidationError({"people": "Invite at least one person or team."})
    walkthrough = services.schedule_walkthrough(
        found,
        request.user,  # type: ignore[arg-type]
        kind=payload.kind,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        location=payload.location,
        people=people,
        teams=teams,
    )
    return Status(201, WalkthroughOut.of(walkthrough))


def _walkthrough(membership: Membership, key: str, uid: UUID) -> Walkthrough:
    found = _narrative(membership, key)
    walkthrough = found.walkthroughs.select_related("organiser").filter(uid=uid).first()
    if walkthrough is None:
        raise Http404("No such walkthrough.")
    require(can_schedule_walkthrough(membership, found))
    return walkthrough


@router.patch(
    "/portal/narratives/{key}/walkthroughs/{uid}",
    response=WalkthroughOut,
    summary="Reschedule: new times (and place); the invitations' SEQUENCE grows",
)
def move(request: HttpRequest, key: str, uid: UUID, payload: RescheduleIn) -> WalkthroughOut:
    walkthrough = _walkthrough(member(request), key, uid)
    location = walkthrough.location if payload.location is None else payload.location
    services.reschedule(
        walkthrough, starts_at=payload.starts_at, ends_at=payload.ends_at, location=location
    )
    return WalkthroughOut.of(walkthrough)


@router.post(
    "/portal/narratives/{key}/walkthroughs/{uid}/attendance",
    response=WalkthroughOut,
    summary="Record who attended (the other invitees did not)",
)
def attendance(request: HttpRequest, key: str, uid: UUID, payload: AttendanceIn) -> WalkthroughOut:
    membership = member(request)
    walkthrough = _walkthrough(membership, key, uid)
    people = _people(membership, payload.attended, "attended")
    services.record_attendance(walkthrough, [p.pk for p in people])
    return WalkthroughOut.of(walkthrough)
