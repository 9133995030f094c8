"""How SQLite's Python driver binds None and booleans. For any value that is not exactly an int,
a float or a str, the driver looks for an adapter: in its registry, then as an `__adapt__` of its
protocol and a `__conform__` of the value, two failed attribute look-ups that each build an
AttributeError message. Every NULL and every boolean of every statement paid that: 1.4 µs a
parameter, 2% of an import's instructions. Registered adapters are found at the first
step and bind what the driver would have bound anyway (NULL, and the boolean as 0 or 1).

Reading, the driver turns a datetime column's text into a datetime by the converter Django
registers, naive; Django's own converter (or lib.moments.quicker) then makes a second object
of it, in UTC. Where the database holds UTC, read_moments_as_utc has the driver read it as UTC
at once: a 25-incident list holds 75 moments, and each paid for the copy."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime


def _null(value: None) -> None:
    return value


def bind_quickly() -> None:
    sqlite3.register_adapter(type(None), _null)
    sqlite3.register_adapter(bool, int)


def read_moments_as_utc() -> None:
    """SQLite's datetime columns read as UTC moments (for databases that hold UTC: USE_TZ and no
    TIME_ZONE of their own, as lib.moments checks). Text the quick way does not read, such as
    a date alone, goes to Django's parser as before."""
    sqlite3.register_converter("datetime", _utc_moment)
    sqlite3.register_converter("timestamp", _utc_moment)


def _utc_moment(stored: bytes) -> datetime | None:
    text = stored.decode()
    try:
        return datetime.fromisoformat(text + "+00:00")
    except ValueError:
        moment = parse_datetime(text)
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
