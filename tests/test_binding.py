"""lib/binding: SQLite's driver finds None and booleans in its adapter registry (no failed
look-ups per parameter) and still binds them as it did: NULL, 0 and 1."""

from __future__ import annotations

import sqlite3

from django.db import connection

from learnloop.incidents.models import Incident
from tests.conftest import World


def test_null_and_booleans_are_adapted_at_the_first_step_and_bind_as_before(world: World):
    protocol = sqlite3.PrepareProtocol
    assert (type(None), protocol) in sqlite3.adapters
    assert (bool, protocol) in sqlite3.adapters
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s, %s, %s", [None, True, False])
        assert tuple(cursor.fetchone()) == (None, 1, 0)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT typeof(%s), typeof(%s)", [None, True])
            assert tuple(cursor.fetchone()) == ("null", "integer")
    incident = Incident.objects.create(
        organisation=world.org, key="bound", title="t", customer_facing=True, detected_at=None
    )
    stored = Incident.objects.filter(pk=incident.pk, customer_facing=True, detected_at=None)
    assert stored.exists()
    assert not Incident.objects.filter(pk=incident.pk, customer_facing=False).exists()
