"""lib/binding: SQLite's driver finds None and booleans in its adapter registry (no failed
look-ups per parameter) and still binds them as it did: NULL, 0 and 1; it reads moments as UTC
at once, and what they read as is what was written."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from learnloop.incidents.models import Incident
from learnloop.lib.binding import _utc_moment
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


def test_moments_read_back_as_the_same_utc_moments(world: World):
    """Through the ORM and through a cursor of our own: aware, in UTC, equal to what was
    written (written in another zone too)."""
    written = datetime(2026, 3, 29, 0, 30, 15, 250_000, tzinfo=timezone(timedelta(hours=2)))
    incident = Incident.objects.create(
        organisation=world.org, key="moment", title="t", started_at=written
    )
    read = Incident.objects.get(pk=incident.pk).started_at
    assert read == written and read.utcoffset() == timedelta(0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT started_at FROM incidents_incident WHERE id = %s", [incident.pk])
        (raw,) = cursor.fetchone()
    assert raw == written and raw.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("stored", "read"),
    [
        (b"2026-03-29 00:30:15", datetime(2026, 3, 29, 0, 30, 15, tzinfo=UTC)),
        (b"2026-03-29 00:30:15.000250", datetime(2026, 3, 29, 0, 30, 15, 250, tzinfo=UTC)),
        (
            b"2026-03-29T02:30:15+02:00",
            datetime(2026, 3, 29, 2, 30, 15, tzinfo=timezone(timedelta(hours=2))),
        ),
        (b"not a moment", None),
    ],
)
def test_stored_text_reads_as_djangos_parser_reads_it_in_utc(stored: bytes, read: datetime):
    assert _utc_moment(stored) == read
    if read is not None:
        assert _utc_moment(stored).utcoffset() == read.utcoffset()  # type: ignore[union-attr]


@given(st.datetimes())
def test_any_stored_moment_reads_as_the_moment_in_utc(moment: datetime):
    """What Django's SQLite backend writes for a UTC moment (naive text) reads back equal."""
    assert _utc_moment(str(moment).encode()) == moment.replace(tzinfo=UTC)
