"""The narrative's workflow: versions that never overwrite each other, the status from draft to
published, and publishing a numbered revision together with whatever listens for it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from learnloop.analysis.models import Interview
from learnloop.incidents.models import Incident
from learnloop.narratives.models import (
    Narrative,
    NarrativeStatus,
    NarrativeVersion,
    Publication,
)
from learnloop.narratives.signals import narrative_published

MAX_BODY = 200_000

# Moves a person may make by hand; publishing is its own step (see publish).
STATUS_MOVES: dict[str, set[str]] = {
    NarrativeStatus.DRAFT: {NarrativeStatus.IN_REVIEW},
    NarrativeStatus.IN_REVIEW: {NarrativeStatus.DRAFT},
    NarrativeStatus.PUBLISHED: set(),
}
PUBLISHABLE = (NarrativeStatus.IN_REVIEW, NarrativeStatus.PUBLISHED)


class StaleVersionError(Exception):
    """A save based on a version that is no longer the latest: someone else saved in between."""

    def __init__(self, latest: NarrativeVersion, body: str, base_version: int) -> None:
        super().__init__(
            f"Version {latest.number} was saved after version {base_version}, which your text is "
            "based on. Nothing was overwritten: compare both texts, then save yours again."
        )
        self.latest = latest
        self.body = body
        self.base_version = base_version


@dataclass(frozen=True)
class UnpublishedChanges:
    revision: int  # the current publication
    versions: int  # how many versions were saved after it


def narrative_for(incident: Incident) -> Narrative:
    """The incident's narrative, created (as a draft titled after the incident) when missing."""
    narrative, _ = Narrative.objects.get_or_create(
        incident=incident,
        defaults={"title": incident.title[:300], "organisation_id": incident.organisation_id},
    )
    return narrative


def _locked(narrative: Narrative) -> Narrative:
    # Every write takes the narrative's row first, so two saves are decided one after the other.
    return Narrative.objects.select_for_update().get(pk=narrative.pk)


def _check_body(body: str) -> None:
    if not body.strip():
        raise ValidationError({"body": "The narrative is empty: write something before saving."})
    if len(body) > MAX_BODY:
        raise ValidationError(
            {"body": f"The narrative is {len(body):,} characters; at most {MAX_BODY:,} are kept."}
        )


def save_version(
    narrative: Narrative,
    body: str,
    author: User | None,
    base_version: int,
    note: str = "",
) -> NarrativeVersion:
    """Saves `body` as the next version if it is based on the latest one (0: on none); otherwise
    raises StaleVersionError with the newer text, and nothing is written."""
    _check_body(body)
    if len(note) > 300:
        raise ValidationError({"note": "A note is at most 300 characters."})
    with transaction.atomic():
        locked = _locked(narrative)
        latest = locked.latest_version()
        latest_number = latest.number if latest else 0
        if latest is not None and base_version != latest_number:
            raise StaleVersionError(latest, body, base_version)
        if base_version > latest_number:
            raise ValidationError(
                {
                    "base_version": f"There is no version {base_version}; the latest is "
                    f"{latest_number}."
                }
            )
        return _append(locked, body, author, note)


def add_version(
    narrative: Narrative, body: str, author: User | None, note: str
) -> NarrativeVersion:
    """Appends a version on top of whatever is there (a generated draft: it replaces nothing)."""
    _check_body(body)
    with transaction.atomic():
        return _append(_locked(narrative), body, author, note)


def _append(narrative: Narrative, body: str, author: User | None, note: str) -> NarrativeVersion:
    latest = narrative.latest_version()
    now = timezone.now()
    version = NarrativeVersion.objects.create(
        narrative=narrative,
        number=(latest.number if latest else 0) + 1,
        body=body,
        author=author,
        note=note.strip(),
        created_at=now,
    )
    Narrative.objects.filter(pk=narrative.pk).update(updated_at=now)
    return version


def change_status(narrative: Narrative, to_status: str) -> Narrative:
    """Draft to in review and back. Publishing goes through publish()."""
    if to_status not in NarrativeStatus.values:
        raise ValidationError({"status": f"'{to_status}' is not a narrative status."})
    with transaction.atomic():
        locked = _locked(narrative)
        if to_status == locked.status:
            return locked
        if to_status == NarrativeStatus.PUBLISHED:
            raise ValidationError({"status": "Publish the narrative to make it published."})
        if to_status not in STATUS_MOVES[locked.status]:
            raise ValidationError(
                {
                    "status": f"A {locked.get_status_display().lower()} narrative cannot go back "
                    f"to {NarrativeStatus(to_status).label.lower()}; publish a new revision "
                    "instead."
                }
            )
        locked.status = to_status
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
        return locked


def publish(narrative: Narrative, by: User | None) -> Publication:
    """Publishes the latest version as the next revision, in one transaction with the status and
    with every receiver of `narrative_published` (which record their deliveries there): all of it
    happens, or none of it."""
    with transaction.atomic():
        locked = _locked(narrative)
        if locked.status not in PUBLISHABLE:
            raise ValidationError({"status": "Send the narrative to review before publishing it."})
        latest = locked.latest_version()
        if latest is None:
            raise ValidationError({"status": "There is nothing to publish yet: save a version."})
        current = locked.current_publication
        if current is not None and current.version_id == latest.pk:
            raise ValidationError(
                {"status": f"Version {latest.number} is already revision {current.revision}."}
            )
        now = timezone.now()
        last = locked.publications.order_by("-revision").first()
        publication = Publication.objects.create(
            narrative=locked,
            revision=(last.revision if last else 0) + 1,
            version=latest,
            title=locked.title,
            published_at=now,
            published_by=by,
        )
        locked.status = NarrativeStatus.PUBLISHED
        locked.published_at = locked.published_at or now
        locked.current_publication = publication
        locked.updated_at = now
        locked.save(update_fields=["status", "published_at", "current_publication", "updated_at"])
        narrative_published.send(sender=Narrative, narrative=locked, revision=publication)
        return publication


def unpublished_changes(narrative: Narrative) -> UnpublishedChanges | None:
    """Versions saved since the current publication, which its readers do not see yet."""
    current = narrative.current_publication
    if current is None:
        return None
    newer = narrative.versions.filter(number__gt=current.version.number).count()
    return UnpublishedChanges(current.revision, newer) if newer else None


def people_names(incident: Incident) -> list[str]:
    """Names of the people in this incident, for the check that catches a person named as the
    cause: full names, and first names as people write them."""
    users = (
        User.objects.filter(responses__incident=incident)
        | User.objects.filter(assignments__incident=incident)
        | User.objects.filter(interviews_given__assignment__incident=incident)
    )
    names: set[str] = set(
        Interview.objects.filter(assignment__incident=incident)
        .exclude(interviewee_name="")
        .values_list("interviewee_name", flat=True)
    )
    for user in users.distinct():
        full = user.get_full_name()
        names.update(name for name in (full, user.first_name) if len(name) > 1)
    return sorted(names)
