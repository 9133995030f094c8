"""The search index: one document per searchable thing (incident, key event, action, narrative),
indexed by SQLite's FTS5 or PostgreSQL's full-text search (see the migrations)."""

from __future__ import annotations

from django.db import models

from learnloop.accounts.models import Organisation


class SearchDocument(models.Model):
    # Its own index would repeat the first column of the one below.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20)  # incident, key_event, action, narrative
    ref = models.CharField(max_length=64)  # the incident key, or the record's uid
    incident_key = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    # Who may find it, by the same rule as the pages: an analyst's key event is read by that
    # analyst and by whoever manages the incident (its team's product manager, problem managers,
    # admins); everything else (analyst_id null) by every member of the organisation.
    analyst_id = models.BigIntegerField(null=True, blank=True)
    incident_team_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        # One index, unique, that also finds an incident's documents (its first two columns):
        # a document is one of its incident's, whose whole key it names (`ref` keeps only 64
        # characters of a key), and an incident's documents sit side by side in it, so that
        # writing 20 key events' documents touches one leaf of it, not 20 (a key event's `ref`
        # is a random uuid).
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "incident_key", "kind", "ref"],
                name="search_doc_of_incident",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class IndexBacklog(models.Model):
    """Incidents whose search documents are to be rebuilt. A row is written in the same
    transaction as the change, and removed in the transaction that rebuilds them: a process
    killed between the two leaves the row, and the next repair (the worker, an import,
    `learnloop reindex`) rebuilds what was missed."""

    incident_id = models.BigIntegerField(unique=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"reindex incident {self.incident_id}"
