"""Many rows of one model written without a model instance per row: one INSERT, prepared once
and run for every row. For the imports' key events and the search index, where Django building
instances and compiling an INSERT per 999 parameters was most of an import's time (6,000 key
events and 7,200 search documents for 300 reports). Values are converted for the database by
each field's own get_db_prep_save, missing ones take the field's default, as bulk_create does;
like bulk_create, no save() and no signals. Nothing is read back: callers that need the new ids
use bulk_create."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import AutoField, BigAutoField, Field, ForeignKey, Model, SmallAutoField
from django.utils import timezone

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
SIMPLE = (str, int, bool, type(None))
AUTO = (AutoField, BigAutoField, SmallAutoField)


def _is_plain(field: Field[Any, Any]) -> bool:
    if isinstance(field, ForeignKey):
        return isinstance(field.target_field, AUTO)
    return field.get_internal_type() in PLAIN


class _Column:
    """One column: where its value comes from when a row leaves it out, and how it is made
    ready for the database."""

    def __init__(self, field: Field[Any, Any]) -> None:
        self.field = field
        self.name = field.attname
        self.plain = _is_plain(field)
        # What a new instance would hold (an empty string for text without a default, as in
        # Model.__init__), or the time for auto_now fields, as their pre_save gives.
        self.default: Callable[[], Any] = field.get_default
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            self.default = timezone.now

    def value(self, row: Mapping[str, Any]) -> Any:
        return self.prepare(row[self.name] if self.name in row else self.default())

    def prepare(self, value: Any) -> Any:
        if self.plain and isinstance(value, SIMPLE):
            return value
        return self.field.get_db_prep_save(value, connection)


def insert(model: type[Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Writes these rows (each a mapping of attribute names, `incident_id` for a foreign key, to
    Python values) in the caller's transaction; returns how many were written."""
    columns = [
        _Column(field)
        for field in model._meta.concrete_fields
        if not isinstance(field, AUTO) and not field.generated
    ]
    known = {column.name for column in columns}
    params = []
    for row in rows:
        unknown = row.keys() - known
        if unknown:
            raise ValueError(f"{model.__name__}: no field {', '.join(sorted(unknown))}")
        params.append([column.value(row) for column in columns])
    if not params:
        return 0
    quote = connection.ops.quote_name
    names = ", ".join(quote(column.field.column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({marks})",  # noqa: S608
            params,
        )
    return len(params)
