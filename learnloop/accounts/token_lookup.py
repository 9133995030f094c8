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

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Field, Model

from learnloop.accounts.models import ApiToken, Membership, Organisation, Team

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


def _convert(field: Field[Any, Any], value: Any) -> Any:
    """A column's value as the ORM would give it (an aware datetime from SQLite, say)."""
    column = field.get_col(field.model._meta.db_table)
    converters = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
    for converter in converters:
        value = converter(value, column, connection)
    return value


def _instance(model: type[Model], values: list[Any]) -> Model | None:
    fields = _fields(model)
    if values[0] is None:  # no such row (a LEFT JOIN found nothing)
        return None
    converted = [_convert(field, value) for field, value in zip(fields, values, strict=True)]
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


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
    instances: list[Any] = []
    start = 0
    for model, _ in PARTS:
        width = len(_fields(model))
        instances.append(_instance(model, list(row[start : start + width])))
        start += width
    user, membership, organisation, team = instances
    if membership is not None:
        membership.user = user
        membership.organisation = organisation
        membership.team = team
    used = _convert(ApiToken._meta.get_field("last_used_at"), row[start + 1])
    return Found(user, membership, row[start], used)
