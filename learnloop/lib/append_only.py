"""Tables whose rows are never changed or deleted, enforced by the database itself: triggers
refuse UPDATE and DELETE, so no code path, shell, admin or bulk query can rewrite them (the cost
ledger, the audit trail). Used by their migrations, and by the tests' flush."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def statements(table: str, message: str, vendor: str, forwards: bool) -> list[str]:
    if vendor == "sqlite":
        if forwards:
            return [
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
                for verb in ("UPDATE", "DELETE")
            ]
        return [f"DROP TRIGGER IF EXISTS {table}_no_{verb}" for verb in ("update", "delete")]
    if vendor == "postgresql":
        if forwards:
            return [
                f"""CREATE FUNCTION {table}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation'; END $$""",
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse()",
            ]
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_refuse()",
        ]
    return []


def operation(table: str, message: str) -> migrations.RunPython:
    def forwards(apps: Any, schema_editor: Any) -> None:
        for sql in statements(table, message, schema_editor.connection.vendor, True):
            schema_editor.execute(sql)

    def backwards(apps: Any, schema_editor: Any) -> None:
        for sql in statements(table, message, schema_editor.connection.vendor, False):
            schema_editor.execute(sql)

    return migrations.RunPython(forwards, backwards)


# Every append-only table and the sentence its triggers answer with.
TABLES = {
    "costs_ledgerentry": "ledger entries are never changed or deleted: post a correction instead",
    "audit_auditentry": "the audit trail is never changed or deleted",
}
