"""Chat history as evidence through the API: import a Slack export's channel into an incident,
read its timeline candidates, and turn one into a key event or dismiss it (the analyst)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Query, Router, UploadedFile
from ninja.responses import Status

from learnloop.accounts.rights import can_see_chat, can_work_assignment
from learnloop.analysis.models import AnalysisAssignment
from learnloop.api.analysis import KeyEventOut
from learnloop.api.common import Offset, RowId, Schema, assignment, incident, member, require
from learnloop.chat import services
from learnloop.chat.models import ChatImport, TimelineCandidate
from learnloop.chat.slack import BadExport
from learnloop.incidents.models import Incident
from learnloop.lib.moments import Moment

router = Router(tags=["chat"])


class ChatImportIn(Schema):
    channel: str = Field(..., min_length=1, max_length=200, description="Without #")
    since: Moment | None = Field(None, alias="from", description="Only messages from then")
    until: Moment | None = Field(None, alias="to", description="Only messages until then")
    workspace_url: str = Field("", max_length=200, description="https://acme.slack.com")


class ChatImportOut(Schema):
    id: int
    channel: str
    read: int = Field(description="Messages of the channel in the window")
    added: int
    already: int = Field(description="Imported before: not again")
    skipped: int = Field(description="Joins, topics and other system messages")

    @staticmethod
    def of(record: ChatImport) -> ChatImportOut:
        return ChatImportOut(
            id=record.pk,
            channel=record.channel,
            read=record.read,
            added=record.added,
            already=record.already,
            skipped=record.skipped,
        )


class CandidateOut(Schema):
    uid: UUID
    channel: str
    ts: str
    posted_at: datetime
    thread_ts: str
    is_reply: bool
    author: str
    person: str | None = Field(description="The learnloop person's email, where it matched")
    is_bot: bool
    edited: bool
    text: str
    files: list[str]
    link: str

    @staticmethod
    def of(candidate: TimelineCandidate) -> CandidateOut:
        return CandidateOut(
            uid=candidate.uid,
            channel=candidate.channel,
            ts=candidate.ts,
            posted_at=candidate.posted_at,
            thread_ts=candidate.thread_ts,
            is_reply=candidate.is_reply,
            author=candidate.author,
            person=candidate.person.email if candidate.person else None,
            is_bot=candidate.is_bot,
            edited=candidate.edited,
            text=candidate.text,
            files=candidate.files,
            link=candidate.link,
        )


class CandidateFilter(Schema):
    person: str = Field("", max_length=254, description="Author's name or email")
    thread: str = Field("", max_length=40, description="The thread's first message's ts")
    since: Moment | None = Field(None, alias="from")
    until: Moment | None = Field(None, alias="to")
    offset: Offset = 0
    limit: int = Field(200, ge=1, le=1000)


class DecisionOut(Schema):
    candidate: UUID
    verdict: str


def _visible(request: HttpRequest, key: str) -> Incident:
    membership = member(request)
    found = incident(membership, key)
    if not can_see_chat(membership, found):
        raise PermissionDenied("Only the incident's analysts and managers see its chat.")
    return found


@router.post(
    "/incidents/{key}/chat-imports",
    response={201: ChatImportOut},
    summary="Import a channel of a Slack export as timeline candidates (analysts, managers)",
)
def add_chat_import(
    request: HttpRequest,
    key: str,
    file: File[UploadedFile],
    details: Form[ChatImportIn],
) -> Status[ChatImportOut]:
    found = _visible(request, key)
    try:
        record = services.import_chat(
            found,
            file,
            details.channel,
            since=details.since,
            until=details.until,
            by=member(request).user,
            file_name=file.name or "",
            workspace_url=details.workspace_url,
        )
    except BadExport as error:
        raise ValidationError({"file": f"Not imported, nothing was written: {error}"}) from error
    return Status(201, ChatImportOut.of(record))


@router.get(
    "/incidents/{key}/timeline-candidates",
    response=list[CandidateOut],
    summary="The incident's chat messages, in time order (analysts, managers)",
)
def list_candidates(
    request: HttpRequest, key: str, filters: Query[CandidateFilter]
) -> list[CandidateOut]:
    found = services.candidates(
        _visible(request, key),
        person=filters.person,
        thread=filters.thread,
        since=filters.since,
        until=filters.until,
    )
    window = found[filters.offset : filters.offset + filters.limit]
    return [CandidateOut.of(c) for c in window]


def _decidable(
    request: HttpRequest, pk: int, uid: UUID
) -> tuple[AnalysisAssignment, TimelineCandidate]:
    membership = member(request)
    work = assignment(membership, pk)
    require(can_work_assignment(membership, work))
    candidate = TimelineCandidate.objects.filter(uid=uid, incident_id=work.incident_id).first()
    if candidate is None:
        raise Http404("No such message.")
    return work, candidate


@router.post(
    "/assignments/{pk}/timeline-candidates/{uid}/key-event",
    response={201: KeyEventOut},
    summary="Turn a chat message into a key event of this analysis (the analyst)",
)
def promote_candidate(request: HttpRequest, pk: RowId, uid: UUID) -> Status[KeyEventOut]:
    work, candidate = _decidable(request, pk, uid)
    return Status(201, KeyEventOut.of(services.promote(work, candidate)))


@router.post(
    "/assignments/{pk}/timeline-candidates/{uid}/dismissal",
    response={201: DecisionOut},
    summary="Dismiss a chat message in this analysis (the analyst)",
)
def dismiss_candidate(request: HttpRequest, pk: RowId, uid: UUID) -> Status[DecisionOut]:
    work, candidate = _decidable(request, pk, uid)
    decision = services.dismiss(work, candidate)
    return Status(201, DecisionOut(candidate=candidate.uid, verdict=decision.verdict))
