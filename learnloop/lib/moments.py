"""Moments (aware datetimes): the span of time learnloop stores, and how they go to and from the
database on the paths that move many of them.

The span: both databases, Python's datetime and every conversion between time zones hold every
moment in it. An API field or an imported document outside it is refused with the field's name,
never stored (a year-1 time with an offset does not even convert to UTC).

The conversions, for lib.bulk's writes and lib.statements' reads: SQLite keeps a moment as the
text of its UTC time ("2026-01-02 03:04:05.678901"); PostgreSQL's driver takes and gives
datetimes itself. Django's own conversion does the same after checking settings and time zones
on every value: three quarters of a write's cost, and half a read's. Neither function applies
where the database's own time zone is set, and each leaves to Django what is not plainly a
moment (a naive datetime, other text)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field
from pydantic import AfterValidator

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
RANGE = "between 1900-01-01 and 2199-12-31 (UTC)"


def in_range(value: datetime) -> datetime:
    """The value, when it lies in the span; ValueError otherwise."""
    try:
        utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"must be {RANGE}") from None
    if not EARLIEST <= utc <= LATEST:
        raise ValueError(f"must be {RANGE}")
    return value


Moment = Annotated[datetime, AfterValidator(in_range)]


def holds_utc(database: BaseDatabaseWrapper) -> bool:
    """Whether this database stores moments in UTC (Django's default, when it has no TIME_ZONE)."""
    return bool(settings.USE_TZ) and database.settings_dict.get("TIME_ZONE") is None


def to_database(
    database: BaseDatabaseWrapper, field: Field[Any, Any]
) -> Callable[[datetime], Any] | None:
    """What the field's get_db_prep_save makes of a datetime, for this database."""
    if not holds_utc(database):
        return None
    convert = field.get_db_prep_save
    if database.vendor == "sqlite":

        def as_text(moment: datetime) -> Any:
            if moment.utcoffset() is None:
                return convert(moment, database)
            return str(moment.astimezone(UTC).replace(tzinfo=None))

        return as_text
    if database.vendor == "postgresql":
        return lambda moment: (
            moment if moment.utcoffset() is not None else convert(moment, database)
        )
    return None


Converter = Callable[[Any, Any, BaseDatabaseWrapper], Any]


def quicker(converters: list[Converter], database: BaseDatabaseWrapper) -> list[Converter]:
    """A column's converters (the ORM's), with SQLite's for moments replaced by one doing what it
    does without its checks: the stored time read as a UTC moment (a datetime column comes
    already parsed by the driver's converter, lib.binding's in UTC; an expression's as text)."""
    if database.vendor != "sqlite" or not holds_utc(database):
        return converters
    by_django: Converter = getattr(database.ops, "convert_datetimefield_value")  # noqa: B009

    def converted(value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if type(value) is datetime:
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if type(value) is str:
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return by_django(value, expression, connection)
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return by_django(value, expression, connection)

    return [converted if found == by_django else found for found in converters]
