"""The search index: one document per searchable thing (incident, key event, action, narrative),
indexed by SQLite's FTS5 or PostgreSQL's full-text search (see the migrations)."""

from __future__ import annotations

from django.db import models

from learnloop.accounts.models import Organisation


class SearchDocument(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # incident, key_event, action, narrative
    ref = models.CharField(max_length=64)  # the incident key, or the record's uid
    incident_key = models.CharField(max_length=120)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "ref"], name="search_doc_unique"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "incident_key"], name="search_doc_incident")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"
