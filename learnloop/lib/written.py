"""Values as the API's JSON writes them, written by the database as text: for a read that only
writes its values out again (the incident list), reading each moment as a datetime and each
amount as a Decimal, then writing both out, was a quarter of its time.

The JSON is Django's encoder's, which api.renderer follows:
- a UTC moment as `2026-01-02T03:04:05Z`, or `2026-01-02T03:04:05.678Z` when it has a fraction
  of a second, cut to milliseconds, not rounded;
- a decimal as its digits, with as many places as its field has (`7045.00`).

For plain columns only (each may appear more than once in the SQL), of SQLite or PostgreSQL;
`column` gives the column itself where the database cannot write it so (a SQLite database that
does not hold UTC, say), which the renderer then writes the same way."""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, DateTimeField, DecimalField, F, Func, Model

from learnloop.lib.moments import holds_utc


class Moment(Func):
    output_field = CharField()
    arity = 1

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        # The stored text is "2026-01-02 03:04:05", with ".678901" when there is a fraction.
        template = "replace(substr(%(expressions)s, 1, 23), ' ', 'T') || 'Z'"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        utc = "%(expressions)s AT TIME ZONE 'UTC'"
        template = (
            f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            "date_trunc('second', %(expressions)s) = %(expressions)s THEN '' "
            f"ELSE to_char({utc}, '.MS') END || 'Z'"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


class Amount(Func):
    """A decimal with `places` places. SQLite holds it as a number (an integer when whole): its
    printf rounds that to the places, which gives back the stored value for every value the
    field allows (at most 14 digits, a float holds 15)."""

    output_field = CharField()
    arity = 1

    def __init__(self, column: str, places: int) -> None:
        super().__init__(F(column))
        self.places = places

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        # printf reads NULL as 0: NULL stays NULL.
        text = f"CASE WHEN {sql} IS NULL THEN NULL ELSE printf(%s, {sql}) END"
        return text, [*params, f"%.{self.places}f", *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST({sql} AS text)", params  # a numeric column keeps its places


def column(model: type[Model], name: str, database: BaseDatabaseWrapper) -> Any:
    """The model's moment or decimal column as the JSON writes it, where this database can."""
    field = model._meta.get_field(name)
    if database.vendor not in ("sqlite", "postgresql") or not holds_utc(database):
        return F(name)
    if isinstance(field, DateTimeField):
        return Moment(name)
    if isinstance(field, DecimalField):
        return Amount(name, field.decimal_places)
    raise ValueError(f"{name} is neither a moment nor a decimal")
