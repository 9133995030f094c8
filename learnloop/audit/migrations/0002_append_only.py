"""The audit trail is append-only in the database itself, like the cost ledger."""

from django.db import migrations

from learnloop.lib.append_only import TABLES, operation


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [operation("audit_auditentry", TABLES["audit_auditentry"])]
