"""On PostgreSQL, the full-text indexes keep at most 512 kB of new entries aside before merging
them in (`gin_pending_list_limit`, 4 MB by default): every search reads all of what is kept
aside. Where autovacuum does not merge it first, the bench's own writes at 100,000 incidents
left 290 pages of it, and similar incidents went from 10.3 to 12.2 ms p50 (20.3 ms p95
against 12.5); imports and creates were as fast with the shorter list."""

from django.db import migrations

INDEXES = ("insights_search_vector", "insights_narrative_vector")


def shorten(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX {name} SET (gin_pending_list_limit = 512)")


def restore(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"ALTER INDEX {name} RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("insights", "0008_one_index_per_incident")]
    operations = [migrations.RunPython(shorten, restore)]
