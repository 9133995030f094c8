"""A search document is unique within its incident, and one index does the work of two.

The unique (organisation, kind, ref) refused two incidents whose keys share their first 64
characters (an incident's document keeps 64 of them in `ref`): an import of two such reports
stopped on a database error. (organisation, incident_key, kind, ref) is unique where that was,
and its first two columns find an incident's documents, as the index it replaces did. Building
it reads every document once: seconds at 2 million documents.

SQLite copies the table to change its constraints, and the copy numbers new documents from the
highest id it holds, not the highest ever given. Rows of the full-text table whose document is
gone (left by an organisation deleted before the fix of the same day) would then stand in the
way of a new document's id, so they are removed first."""

from django.db import migrations, models


def forget_orphans(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "DELETE FROM insights_fts WHERE rowid NOT IN (SELECT id FROM insights_searchdocument)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_last_home_at"),
        ("insights", "0007_narrative_vector"),
    ]

    operations = [
        migrations.RunPython(forget_orphans, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="searchdocument",
            constraint=models.UniqueConstraint(
                fields=("organisation", "incident_key", "kind", "ref"),
                name="search_doc_of_incident",
            ),
        ),
        migrations.RemoveConstraint(model_name="searchdocument", name="search_doc_unique"),
        migrations.RemoveIndex(model_name="searchdocument", name="search_doc_incident"),
    ]
