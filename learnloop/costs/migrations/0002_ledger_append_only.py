"""The ledger is append-only in the database itself: triggers refuse UPDATE and DELETE on its
rows, so no code path, shell, admin or bulk query can rewrite the cost record."""

from typing import Any

from django.db import migrations

TABLE = "costs_ledgerentry"
MESSAGE = "ledger entries are never changed or deleted: post a correction instead"

SQLITE = [
    f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRESQL = [
    f"""CREATE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation'; END $$""",
    f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
    f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
]


def statements(vendor: str, forwards: bool) -> list[str]:
    if vendor == "sqlite":
        if forwards:
            return SQLITE
        return [f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}" for verb in ("update", "delete")]
    if vendor == "postgresql":
        if forwards:
            return POSTGRESQL
        return [
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
            f"DROP FUNCTION IF EXISTS {TABLE}_refuse()",
        ]
    return []


def forwards(apps: Any, schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, True):
        schema_editor.execute(sql)


def backwards(apps: Any, schema_editor: Any) -> None:
    for sql in statements(schema_editor.connection.vendor, False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
