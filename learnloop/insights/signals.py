"""Keeps the search index current when records are saved one by one. Bulk writes send no
signals: they call reindex_later (imports, intake) or search.reindex (the benchmark seed)
themselves. Either way a backlog row written with the change says what is still to be indexed,
so nothing committed stays unsearchable."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from learnloop.accounts.models import Organisation
from learnloop.actions.models import ImprovementAction
from learnloop.analysis.models import KeyEvent
from learnloop.incidents.models import Incident
from learnloop.narratives.models import Narrative


def _pending() -> set[int]:
    """Incidents already queued for reindexing in the current transaction. Django starts a new
    on-commit list after each commit or rollback; the set follows that list."""
    connection = transaction.get_connection()
    queued = connection.run_on_commit
    marker = getattr(connection, "_learnloop_reindex", None)
    if marker is None or marker[0] is not queued:
        marker = (queued, set())
        connection._learnloop_reindex = marker
    return marker[1]


def reindex_later(incident_id: int) -> None:
    """Queues the incident in the backlog inside the current transaction, and rebuilds its
    documents after the commit: if the process dies in between, the backlog row remains and
    search.repair() rebuilds them later."""
    from learnloop.insights.search import queue

    if transaction.get_connection().in_atomic_block:
        pending = _pending()
        if incident_id in pending:
            return  # one reindex per incident per transaction, however many rows changed
        pending.add(incident_id)
    queue([incident_id])

    def run() -> None:
        from learnloop.insights.search import reindex

        found = Incident.objects.filter(pk=incident_id).first()
        if found is not None:
            reindex([found])

    transaction.on_commit(run)


@receiver(post_save, sender=Incident)
def incident_saved(sender: Any, instance: Incident, created: bool, **kwargs: Any) -> None:
    if created:
        from learnloop.insights.search import index_new

        index_new(instance)  # in the same transaction: no backlog row, no second transaction
    else:
        reindex_later(instance.pk)


@receiver(pre_delete, sender=Organisation)
def organisation_deleted(sender: Any, instance: Organisation, **kwargs: Any) -> None:
    """A deleted organisation's documents go by cascade, in whatever order Django deletes its
    rows: its incidents' own removal may come after them and find none. Their full-text rows
    (SQLite's, which no foreign key links to them) are removed first."""
    from learnloop.insights.search import unindex_organisation

    unindex_organisation(instance.pk)


@receiver(post_delete, sender=Incident)
def incident_deleted(sender: Any, instance: Incident, **kwargs: Any) -> None:
    """A deleted incident (through Django's admin site) takes its documents with it, in the
    same transaction: search never links to an incident that is gone."""
    from learnloop.insights.search import unindex

    unindex([instance])


@receiver([post_save, post_delete], sender=KeyEvent)
@receiver([post_save, post_delete], sender=ImprovementAction)
def child_changed(sender: Any, instance: KeyEvent | ImprovementAction, **kwargs: Any) -> None:
    reindex_later(instance.incident_id)


@receiver(post_save, sender=Narrative)
def narrative_saved(sender: Any, instance: Narrative, **kwargs: Any) -> None:
    """Publishing moves the narrative's current revision; saving a draft changes nothing here."""
    reindex_later(instance.incident_id)
