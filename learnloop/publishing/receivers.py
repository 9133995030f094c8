"""Publishing a narrative records its deliveries, in the same transaction."""

from __future__ import annotations

from typing import Any

from learnloop.narratives.models import NarrativeVersion, Publication


def on_narrative_published(sender: Any, narrative: Any, revision: Any, **kwargs: Any) -> None:
    from learnloop.publishing.services import record_deliveries

    publication = revision
    if isinstance(revision, NarrativeVersion):  # older senders passed the version published
        publication = (
            Publication.objects.filter(narrative=narrative, version=revision)
            .order_by("-revision")
            .first()
        )
    if isinstance(publication, Publication):
        record_deliveries(publication)
