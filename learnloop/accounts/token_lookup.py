"""The person behind an API token, with their first membership, its organisation and team, in
one statement. Every API request asks, so the statement is built once from the models' own
columns instead of compiled by the ORM on each request (that compiling was a quarter of a list
request's time); the rows are turned into model instances as the ORM does, converters included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from weakref import WeakKeyDictionary

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from learnloop.accounts.models import ApiToken, Membership, Organisation, Team
from learnloop.lib import moments

# Each model read, with the alias its table has in the statement.
PARTS: tuple[tuple[type[Model], str], ...] = (
    (User, "u"),
    (Membership, "m"),
    (Organisation, "o"),
    (Team, "t"),
)


def _fields(model: type[Model]) -> list[Field[Any, Any]]:
    return list(model._meta.concrete_fields)


@cache
def _statement(vendor: str) -> str:
    """The SELECT for this database (`vendor` keys the cache: quoting is the database's)."""
    quote = connection.ops.quote_name

    def table(model: type[Model]) -> str:
        return quote(model._meta.db_table)

    columns = [
        f"{alias}.{quote(field.column)}" for model, alias in PARTS for field in _fields(model)
    ]
    return (
        f"SELECT {', '.join(columns)}, k.id, k.last_used_at"  # noqa: S608 - the models' names
        f" FROM {table(ApiToken)} k"
        f" JOIN {table(User)} u ON u.id = k.user_id"
        f" LEFT JOIN {table(Membership)} m ON m.user_id = u.id"
        f" LEFT JOIN {table(Organisation)} o ON o.id = m.organisation_id"
        f" LEFT JOIN {table(Team)} t ON t.id = m.team_id"
        " WHERE k.token_hash = %s AND k.revoked_at IS NULL AND u.is_active"
        " ORDER BY m.id LIMIT 1"  # the first membership, as rights.membership_of reads it
    )


class Column:
    """Turns one column's value into what the ORM would give (an aware datetime from SQLite,
    say), with the converters this connection's ORM uses, looked up once."""

    def __init__(self, field: Field[Any, Any], database: BaseDatabaseWrapper) -> None:
        self.column = field.get_col(field.model._meta.db_table)
        self.database = database
        self.converters = moments.quicker(
            database.ops.get_db_converters(self.column) + self.column.get_db_converters(database),
            database,
        )

    def convert(self, value: Any) -> Any:
        for converter in self.converters:
            value = converter(value, self.column, self.database)
        return value


@dataclass
class Reader:
    """Makes one model's instance from its columns of the row."""

    model: type[Model]
    names: list[str]
    columns: list[Column]

    def instance(self, values: tuple[Any, ...]) -> Model | None:
        if values[0] is None:  # no such row (a LEFT JOIN found nothing)
            return None
        converted = [column.convert(v) for column, v in zip(self.columns, values, strict=True)]
        return self.model.from_db(self.columns[0].database.alias, self.names, converted)


# The readers of each connection (one per thread), made on its first API request.
_readers: WeakKeyDictionary[BaseDatabaseWrapper, tuple[list[Reader], Column]] = WeakKeyDictionary()


def readers() -> tuple[list[Reader], Column]:
    database = connections[DEFAULT_DB_ALIAS]
    if database not in _readers:
        _readers[database] = (
            [
                Reader(
                    model,
                    [f.attname for f in _fields(model)],
                    [Column(f, database) for f in _fields(model)],
                )
                for model, _ in PARTS
            ],
            Column(ApiToken._meta.get_field("last_used_at"), database),
        )
    return _readers[database]


@dataclass
class Found:
    user: User
    membership: Membership | None
    token_id: int
    last_used_at: datetime | None


def find(token_hash: str) -> Found | None:
    """The live token with this hash of an active person, or None."""
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor), [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    models, last_used_at = readers()
    instances: list[Any] = []
    start = 0
    for reader in models:
        width = len(reader.columns)
        instances.append(reader.instance(row[start : start + width]))
        start += width
    user, membership, organisation, team = instances
    if membership is not None:
        membership.user = user
        membership.organisation = organisation
        membership.team = team
    return Found(user, membership, row[start], last_used_at.convert(row[start + 1]))
