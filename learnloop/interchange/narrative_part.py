"""The narrative in learnloop's document: its versions, the revisions published from them, who
read it, and the walkthroughs it was told in. Versions are named by number, revisions by revision
number, people by email; never by database ids."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.db.models import Prefetch

from learnloop.incidents.models import Incident
from learnloop.interchange.values import fields_of, load_fields
from learnloop.narratives.models import (
    Narrative,
    NarrativeRead,
    NarrativeVersion,
    Publication,
    Walkthrough,
    WalkthroughAttendee,
)

if TYPE_CHECKING:
    from learnloop.interchange.restore import Context

NARRATIVE = ["title", "status", "published_at", "created_at", "updated_at"]
VERSION = ["number", "body", "created_at", "note"]
PUBLICATION = ["uid", "revision", "title", "published_at"]
READ = ["first_read_at", "last_read_at", "last_revision"]
WALKTHROUGH = ["uid", "kind", "starts_at", "ends_at", "location", "sequence", "created_at"]
ATTENDEE = ["attended", "recorded_at"]


def narrative_prefetches() -> list[Any]:
    """What the export reads for every incident's narrative, in a fixed number of queries."""
    return [
        "narrative__versions__author",
        Prefetch(
            "narrative__publications",
            Publication.objects.select_related("version", "published_by"),
        ),
        "narrative__reads__reader",
        Prefetch(
            "narrative__walkthroughs",
            Walkthrough.objects.select_related("organiser").prefetch_related("attendees__user"),
        ),
    ]


def _email(user: User | None) -> str | None:
    return user.email if user else None


def narrative_part(incident: Incident) -> dict[str, Any] | None:
    narrative: Narrative | None = getattr(incident, "narrative", None)
    if narrative is None:
        return None
    publications = sorted(narrative.publications.all(), key=lambda p: p.revision)
    current = next(
        (p.revision for p in publications if p.pk == narrative.current_publication_id), None
    )
    return {
        **fields_of(narrative, NARRATIVE),
        "current_revision": current,
        "versions": [
            {**fields_of(v, VERSION), "author": _email(v.author)}
            for v in sorted(narrative.versions.all(), key=lambda v: v.number)
        ],
        "publications": [
            {
                **fields_of(p, PUBLICATION),
                "version": p.version.number,
                "published_by": _email(p.published_by),
            }
            for p in publications
        ],
        "reads": sorted(
            ({**fields_of(r, READ), "reader": r.reader.email} for r in narrative.reads.all()),
            key=lambda r: str(r["reader"]),
        ),
        "walkthroughs": [
            {
                **fields_of(w, WALKTHROUGH),
                "organiser": _email(w.organiser),
                "attendees": sorted(
                    ({**fields_of(a, ATTENDEE), "email": a.user.email} for a in w.attendees.all()),
                    key=lambda a: str(a["email"]),
                ),
            }
            for w in sorted(narrative.walkthroughs.all(), key=lambda w: (w.starts_at, str(w.uid)))
        ],
    }


def clear_narrative(incident: Incident) -> None:
    """Publications first: they protect the versions they were published from, so deleting the
    narrative alone would be refused."""
    Narrative.objects.filter(incident=incident).update(current_publication=None)
    Publication.objects.filter(narrative__incident=incident).delete()
    Narrative.objects.filter(incident=incident).delete()


def load_narrative(context: Context, incident: Incident, part: dict[str, Any] | None) -> None:
    if part is None:
        return
    narrative = Narrative.objects.create(
        incident=incident,
        organisation=incident.organisation,
        **load_fields(Narrative, part, NARRATIVE),
    )
    versions = {
        v["number"]: NarrativeVersion(
            narrative=narrative,
            author=context.person(v["author"]),
            **load_fields(NarrativeVersion, v, VERSION),
        )
        for v in part["versions"]
    }
    NarrativeVersion.objects.bulk_create(versions.values())
    publications = {
        p["revision"]: Publication(
            narrative=narrative,
            version=versions[p["version"]],
            published_by=context.person(p["published_by"]),
            **load_fields(Publication, p, PUBLICATION),
        )
        for p in part["publications"]
    }
    Publication.objects.bulk_create(publications.values())
    if part["current_revision"] is not None:
        narrative.current_publication = publications[part["current_revision"]]
        narrative.save(update_fields=["current_publication"])
    NarrativeRead.objects.bulk_create(
        NarrativeRead(
            narrative=narrative,
            reader=context.required(r["reader"]),
            **load_fields(NarrativeRead, r, READ),
        )
        for r in part["reads"]
    )
    for walkthrough_part in part["walkthroughs"]:
        walkthrough = Walkthrough.objects.create(
            narrative=narrative,
            organiser=context.person(walkthrough_part["organiser"]),
            **load_fields(Walkthrough, walkthrough_part, WALKTHROUGH),
        )
        WalkthroughAttendee.objects.bulk_create(
            WalkthroughAttendee(
                walkthrough=walkthrough,
                user=context.required(a["email"]),
                **load_fields(WalkthroughAttendee, a, ATTENDEE),
            )
            for a in walkthrough_part["attendees"]
        )
