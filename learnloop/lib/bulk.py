"""Many rows of one model written without a model instance per row: by COPY on PostgreSQL, by
one INSERT prepared once and run for every row on SQLite. For the imports' children and the
search index, where Django building instances and compiling an INSERT per 999 parameters was
most of an import's time (6,000 key events and 7,200 search documents for 300 reports). Values
are converted for the database by each field's own get_db_prep_save, missing ones take the
field's default, as bulk_create does; like bulk_create, no save() and no signals. Nothing is
read back: callers that need the new ids use bulk_create or read them afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from operator import attrgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import AutoField, BigAutoField, Field, ForeignKey, Model, SmallAutoField
from django.utils import timezone

from learnloop.lib import moments

# Fields whose database value is the Python value itself when that is a str, an int, a bool or
# None (get_db_prep_save only checks it): the common case needs no call.
PLAIN = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}
AUTO = (AutoField, BigAutoField, SmallAutoField)
Prepare = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _quick(field: Field[Any, Any], database: BaseDatabaseWrapper) -> dict[type, Prepare]:
    """What get_db_prep_save makes of the common types of values, without its checks: for each
    type, a function giving the database value (other types go through get_db_prep_save)."""
    kind = field.get_internal_type()
    if (isinstance(field, ForeignKey) and isinstance(field.target_field, AUTO)) or kind in PLAIN:
        return {str: _same, int: _same, bool: _same, type(None): _same}
    if kind == "UUIDField":  # SQLite keeps the 32 hex digits
        native = database.features.has_native_uuid_field
        return {uuid.UUID: _same if native else attrgetter("hex"), type(None): _same}
    moment = moments.to_database(database, field) if kind == "DateTimeField" else None
    if moment is not None:
        return {datetime: moment, type(None): _same}
    return {}


class _Column:
    """One column: how its value is made ready for the database, and what it holds when a row
    leaves it out: what a new instance would (an empty string for text without a default, as
    in Model.__init__), or the time for auto_now fields, as their pre_save gives."""

    def __init__(self, field: Field[Any, Any], database: BaseDatabaseWrapper) -> None:
        self.name = field.attname
        self.column = field.column
        self.quick = _quick(field, database)
        self.database = database
        self.convert = field.get_db_prep_save
        self.make: Callable[[], Any] | None = None  # a default made anew for each row
        self.fixed: Any = None  # or the same one for all, made ready once
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            self.make = timezone.now
        elif field.has_default() and callable(field.default):
            self.make = field.get_default
        else:
            self.fixed = self.prepare(field.get_default())

    def prepare(self, value: Any) -> Any:
        quick = self.quick.get(type(value))
        return self.convert(value, self.database) if quick is None else quick(value)

    def values(self, rows: list[Mapping[str, Any]]) -> list[Any]:
        """This column of every row, ready for the database. One column at a time, with the
        common case (a value the database takes as it is) needing no call: the imports write
        some 170,000 values for 300 reports."""
        name, quick, convert, database = self.name, self.quick, self.convert, self.database
        found: list[Any] = []
        keep = found.append
        for row in rows:
            if name not in row:
                keep(self.fixed if self.make is None else self.prepare(self.make()))
                continue
            value = row[name]
            how = quick.get(type(value))
            if how is _same:
                keep(value)
            else:
                keep(convert(value, database) if how is None else how(value))
        return found


def row_of(instance: Model) -> dict[str, Any]:
    """An unsaved instance as a row for insert: its values, the id left to the database."""
    return {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if not isinstance(field, AUTO) and not field.generated
    }


def insert(model: type[Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Writes these rows (each a mapping of attribute names, `incident_id` for a foreign key, to
    Python values) in the caller's transaction; returns how many were written."""
    database = connections[DEFAULT_DB_ALIAS]
    columns = [
        _Column(field, database)
        for field in model._meta.concrete_fields
        if not isinstance(field, AUTO) and not field.generated
    ]
    known = {column.name for column in columns}
    given = list(rows)
    for row in given:
        if not known.issuperset(row):
            unknown = ", ".join(sorted(row.keys() - known))
            raise ValueError(f"{model.__name__}: no field {unknown}")
    if not given:
        return 0
    params = list(zip(*(column.values(given) for column in columns), strict=True))
    quote = database.ops.quote_name
    names = ", ".join(quote(column.column) for column in columns)
    table = quote(model._meta.db_table)
    with database.cursor() as cursor:
        # COPY: 2.4 times as fast as INSERTs of many rows, but two round trips for one row.
        if database.vendor == "postgresql" and len(params) > 1:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        else:  # one statement, prepared once, run for each row
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our names
            if len(params) == 1:
                cursor.execute(sql, params[0])
            else:
                cursor.executemany(sql, params)
    return len(params)
