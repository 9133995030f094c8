"""Readership and walkthroughs of published narratives."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from learnloop.accounts.models import Membership, Team
from learnloop.mail.outbox import undelivered
from learnloop.narratives.models import (
    Narrative,
    NarrativeRead,
    Walkthrough,
    WalkthroughAttendee,
    WalkthroughKind,
)
from learnloop.portal.tasks import send_walkthrough_invitations


def record_read(narrative: Narrative, reader: User, revision: int) -> None:
    """One row per reader: the first read inserts it, later reads move last_read_at and
    last_revision. One statement (an upsert), so reading stays cheap."""
    now = timezone.now()
    NarrativeRead.objects.bulk_create(
        [
            NarrativeRead(
                narrative=narrative,
                reader=reader,
                first_read_at=now,
                last_read_at=now,
                last_revision=revision,
            )
        ],
        update_conflicts=True,
        unique_fields=["narrative", "reader"],
        update_fields=["last_read_at", "last_revision"],
    )


@dataclass
class Readership:
    unique_readers: int
    readers: list[NarrativeRead]


def readership(narrative: Narrative, limit: int = 200) -> Readership:
    """The number of unique readers, and the most recent `limit` of them (a page stays bounded
    however widely a narrative is read)."""
    reads = NarrativeRead.objects.filter(narrative=narrative)
    recent = list(reads.select_related("reader").order_by("-last_read_at", "id")[:limit])
    count = len(recent) if len(recent) < limit else reads.count()
    return Readership(unique_readers=count, readers=recent)


def _invitees(people: Iterable[User], teams: Iterable[Team], organisation_id: int) -> list[User]:
    chosen = {p.pk: p for p in people}
    members = set(
        Membership.objects.filter(
            organisation_id=organisation_id, user_id__in=list(chosen)
        ).values_list("user_id", flat=True)
    )
    if set(chosen) - members:
        raise ValidationError({"people": "Only members of the organisation can be invited."})
    teams = list(teams)
    if any(t.organisation_id != organisation_id for t in teams):
        raise ValidationError({"teams": "Only teams of the organisation can be invited."})
    team_ids = [t.pk for t in teams]
    if team_ids:
        for person in User.objects.filter(
            memberships__team_id__in=team_ids, memberships__organisation_id=organisation_id
        ):
            chosen.setdefault(person.pk, person)
    return list(chosen.values())


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": "The end must be after the start."})


@transaction.atomic
def schedule_walkthrough(
    narrative: Narrative,
    organiser: User,
    *,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    location: str = "",
    people: Iterable[User] = (),
    teams: Iterable[Team] = (),
) -> Walkthrough:
    """A walkthrough or cross-team playback with its invitees (people and whole teams); the
    organiser is invited too."""
    _check_times(starts_at, ends_at)
    if kind not in WalkthroughKind.values:
        raise ValidationError({"kind": f"'{kind}' is not a kind of walkthrough."})
    invitees = _invitees([organiser, *people], teams, narrative.organisation_id or 0)
    walkthrough = Walkthrough.objects.create(
        narrative=narrative,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        organiser=organiser,
    )
    WalkthroughAttendee.objects.bulk_create(
        [WalkthroughAttendee(walkthrough=walkthrough, user=person) for person in invitees]
    )
    send_walkthrough_invitations.enqueue(walkthrough.pk)
    return walkthrough


@transaction.atomic
def reschedule(
    walkthrough: Walkthrough, *, starts_at: datetime, ends_at: datetime, location: str
) -> Walkthrough:
    """Calendars replace an invitation only when SEQUENCE grows, so every change bumps it."""
    _check_times(starts_at, ends_at)
    walkthrough.starts_at, walkthrough.ends_at = starts_at, ends_at
    walkthrough.location = location
    walkthrough.sequence += 1
    walkthrough.save(update_fields=["starts_at", "ends_at", "location", "sequence"])
    send_walkthrough_invitations.enqueue(walkthrough.pk)
    return walkthrough


@transaction.atomic
def send_again(walkthrough: Walkthrough) -> list[str]:
    """Queues again the invitations the mail server did not take; returns to whom."""
    failed = undelivered(f"walkthrough:{walkthrough.pk}")
    ids = [mail.user_id for mail in failed if mail.user_id is not None]
    if ids:
        send_walkthrough_invitations.enqueue(walkthrough.pk, ids)
    return [mail.recipient for mail in failed]


@transaction.atomic
def record_attendance(walkthrough: Walkthrough, attended_ids: Iterable[int]) -> int:
    """Who came: the chosen invitees attended, the others did not. Returns how many attended."""
    present = set(attended_ids)
    unknown = present - set(walkthrough.attendees.values_list("user_id", flat=True))
    if unknown:
        raise ValidationError({"attended": "Only invitees can be recorded as attending."})
    now = timezone.now()
    walkthrough.attendees.filter(user_id__in=present).update(attended=True, recorded_at=now)
    walkthrough.attendees.exclude(user_id__in=present).update(attended=False, recorded_at=now)
    return len(present)


def attendees(walkthrough: Walkthrough) -> QuerySet[WalkthroughAttendee]:
    return walkthrough.attendees.select_related("user").order_by("user__first_name", "user__email")
