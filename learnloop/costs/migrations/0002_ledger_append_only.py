"""The ledger is append-only in the database itself: triggers refuse UPDATE and DELETE on its
rows, so no code path, shell, admin or bulk query can rewrite the cost record."""

from django.db import migrations

from learnloop.lib.append_only import TABLES, operation


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]
    operations = [operation("costs_ledgerentry", TABLES["costs_ledgerentry"])]
