"""Published narratives made directly with the models, so the portal's tests do not depend on
the editor's publishing workflow."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User

from learnloop.accounts.models import Organisation
from learnloop.incidents.services import record_incident
from learnloop.insights.search import reindex
from learnloop.narratives.models import Narrative, NarrativeStatus, NarrativeVersion, Publication
from tests.conftest import utc

BODY = """## Summary

Card payments were declined for forty minutes after a certificate expired.

## How we got here

The gateway's certificate was renewed by hand every year.

## What we learned

Renewals by hand are easy to miss when the person who did them moves team.
"""


def draft_narrative(org: Organisation, title: str, body: str = BODY, **incident: Any) -> Narrative:
    found = record_incident(org, None, title=title, **incident)
    narrative = Narrative.objects.create(incident=found, title=title)
    NarrativeVersion.objects.create(narrative=narrative, number=1, body=body)
    reindex([found])
    return narrative


def published_narrative(
    org: Organisation,
    title: str,
    body: str = BODY,
    *,
    author: User | None = None,
    published_at: datetime | None = None,
    revisions: int = 1,
    **incident: Any,
) -> Narrative:
    """A narrative with `revisions` published revisions; the last carries `body`, earlier ones
    say which revision they were."""
    when = published_at or utc(2026, 11, 2, 10, 0)
    found = record_incident(org, None, title=title, **incident)
    narrative = Narrative.objects.create(incident=found, title=title)
    publication = None
    for number in range(1, revisions + 1):
        text = body if number == revisions else f"## Summary\n\nThe text of revision {number}.\n"
        version = NarrativeVersion.objects.create(
            narrative=narrative, number=number, body=text, author=author
        )
        publication = Publication.objects.create(
            narrative=narrative,
            revision=number,
            version=version,
            title=title,
            published_at=when + timedelta(days=number - 1),
            published_by=author,
        )
    narrative.status = NarrativeStatus.PUBLISHED
    narrative.published_at = when
    narrative.current_publication = publication
    narrative.save()
    reindex([found])
    return narrative
