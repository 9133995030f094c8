"""Full-text indexes: an FTS5 table on SQLite, a GIN expression index on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE insights_fts USING fts5(title, body, tokenize='porter unicode61')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX insights_search_fts ON insights_searchdocument USING GIN "
            "(to_tsvector('english', title || ' ' || body))"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS insights_fts")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS insights_search_fts")


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_search_document")]
    operations = [migrations.RunPython(create, drop)]
