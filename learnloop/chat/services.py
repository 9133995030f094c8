"""Importing a channel's history into an incident's timeline candidates, and each analyst's
decision on a candidate: a key event of theirs, or dismissed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from learnloop.analysis.models import AnalysisAssignment, KeyEvent, Precision
from learnloop.analysis.services import add_key_event
from learnloop.chat.models import CandidateDecision, ChatImport, TimelineCandidate, Verdict
from learnloop.chat.slack import Message, SlackExport
from learnloop.incidents.models import Incident

BATCH = 2000


def _link(workspace_url: str, channel_id: str, ts: str) -> str:
    if not workspace_url or not channel_id:
        return ""
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"[:500]


def _batches(items: Iterator[Message | None], counts: ChatImport) -> Iterator[list[Message]]:
    batch: list[Message] = []
    for item in items:
        if item is None:
            counts.skipped += 1
            continue
        counts.read += 1
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def import_chat(
    incident: Incident,
    file: str | IO[bytes],
    channel: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: User | None = None,
    file_name: str = "",
    workspace_url: str = "",
) -> ChatImport:
    """All or nothing: a bad file or message anywhere leaves nothing written (BadExport)."""
    if since and until and until < since:
        raise ValidationError({"to": "The window must end after it starts."})
    export = SlackExport(file)
    channel = channel.strip().lstrip("#")
    channel_id = export.channels.get(channel, "")
    people = {
        u.email.lower(): u
        for u in User.objects.filter(
            memberships__organisation_id=incident.organisation_id, is_active=True
        ).exclude(email="")
    }
    with transaction.atomic():
        record = ChatImport.objects.create(
            incident=incident,
            channel=channel[:200],
            file_name=file_name[:300],
            window_from=since,
            window_to=until,
            imported_by=by,
        )
        held = set(
            TimelineCandidate.objects.filter(incident=incident, channel=channel).values_list(
                "ts", flat=True
            )
        )
        for batch in _batches(export.messages(channel, since, until), record):
            fresh = [m for m in batch if m.ts not in held]
            record.already += len(batch) - len(fresh)
            held.update(m.ts for m in fresh)
            TimelineCandidate.objects.bulk_create(
                TimelineCandidate(
                    incident=incident,
                    chat_import=record,
                    channel=channel[:200],
                    channel_id=channel_id[:40],
                    ts=m.ts[:40],
                    posted_at=m.posted_at,
                    thread_ts=m.thread_ts[:40],
                    is_reply=m.is_reply,
                    author=m.author,
                    author_email=m.author_email,
                    person=people.get(m.author_email.lower()) if m.author_email else None,
                    is_bot=m.is_bot,
                    edited=m.edited,
                    text=m.text,
                    files=m.files,
                    link=_link(workspace_url, channel_id, m.ts),
                )
                for m in fresh
            )
            record.added += len(fresh)
        record.save(update_fields=["read", "added", "already", "skipped"])
    return record


def candidates(
    incident: Incident,
    *,
    person: str = "",
    thread: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    assignment: AnalysisAssignment | None = None,
    undecided: bool = False,
) -> QuerySet[TimelineCandidate]:
    """The incident's candidates, filtered by author (name or email), thread (its first
    message's ts) and time; for an analysis period, without what it decided when asked."""
    found = TimelineCandidate.objects.filter(incident=incident).select_related("person")
    if person:
        found = found.filter(Q(author=person) | Q(author_email__iexact=person))
    if thread:
        found = found.filter(Q(thread_ts=thread) | Q(ts=thread))
    if since:
        found = found.filter(posted_at__gte=since)
    if until:
        found = found.filter(posted_at__lte=until)
    if assignment is not None and undecided:
        decided = CandidateDecision.objects.filter(candidate=OuterRef("pk"), assignment=assignment)
        found = found.exclude(Exists(decided))
    return found


def authors(incident: Incident) -> list[str]:
    return list(
        TimelineCandidate.objects.filter(incident=incident)
        .order_by("author")
        .values_list("author", flat=True)
        .distinct()
    )


def threads(incident: Incident) -> list[TimelineCandidate]:
    """The first message of each thread, for the thread filter."""
    with_replies = (
        TimelineCandidate.objects.filter(incident=incident)
        .filter(is_reply=True)
        .values("thread_ts")
    )
    return list(
        TimelineCandidate.objects.filter(incident=incident).filter(
            ts__in=with_replies, is_reply=False
        )
    )


def _decide(
    assignment: AnalysisAssignment,
    candidate: TimelineCandidate,
    verdict: str,
    key_event: KeyEvent | None = None,
) -> CandidateDecision:
    decision = CandidateDecision(
        candidate=candidate, assignment=assignment, verdict=verdict, key_event=key_event
    )
    decision.full_clean()
    decision.save()
    return decision


def promote(assignment: AnalysisAssignment, candidate: TimelineCandidate) -> KeyEvent:
    """The message as a key event of this analysis: its time, its author (the person, where
    the email matched), what was said, and the link back to the message."""
    if candidate.incident_id != assignment.incident_id:
        raise ValidationError("This message belongs to another incident.")
    actor = candidate.person.get_full_name() if candidate.person else ""
    said = candidate.text or "(no text)"
    if candidate.files:
        said += f" [files: {', '.join(candidate.files)}]"
    with transaction.atomic():
        if CandidateDecision.objects.filter(candidate=candidate, assignment=assignment).exists():
            raise ValidationError("This message was already decided in this analysis.")
        event = add_key_event(
            assignment,
            occurred_at=candidate.posted_at,
            precision=Precision.MINUTE,
            actor_role=(actor or candidate.author)[:200],
            description=said,
            evidence_url=candidate.link,
            source=f"Slack #{candidate.channel}, {candidate.author}, "
            f"{candidate.posted_at:%Y-%m-%d %H:%M:%S} UTC",
        )
        _decide(assignment, candidate, Verdict.PROMOTED, event)
    return event


def dismiss(assignment: AnalysisAssignment, candidate: TimelineCandidate) -> CandidateDecision:
    if candidate.incident_id != assignment.incident_id:
        raise ValidationError("This message belongs to another incident.")
    return _decide(assignment, candidate, Verdict.DISMISSED)


def decisions_of(
    assignment: AnalysisAssignment, found: Iterable[TimelineCandidate]
) -> dict[int, str]:
    ids = [c.pk for c in found]
    return dict(
        CandidateDecision.objects.filter(assignment=assignment, candidate_id__in=ids).values_list(
            "candidate_id", "verdict"
        )
    )


def describe(record: ChatImport) -> str:
    return (
        f"#{record.channel}: {record.added} message{'s' if record.added != 1 else ''} added, "
        f"{record.already} already imported, {record.skipped} system messages skipped."
    )
