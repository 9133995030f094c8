"""JSON values for learnloop's documents: exact decimals as strings, UTC times with a Z."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateparse import parse_date, parse_datetime

from learnloop.lib.moments import in_range


def dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def load_datetime(text: str | None) -> datetime | None:
    """An RFC 3339 time (its "t" and "z" in either case) in UTC; ValueError when it is not one,
    or lies outside the span learnloop stores."""
    if text is None:
        return None
    try:
        parsed = parse_datetime(text.upper())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError(f"'{text}' is not a date-time")
    if parsed.tzinfo is None:
        raise ValueError(f"'{text}' has no time zone")
    return in_range(parsed).astimezone(UTC)


def instant(text: str) -> datetime:
    """A time the document must have."""
    parsed = load_datetime(text)
    if parsed is None:
        raise ValueError("a time is required")
    return parsed


def load_date(text: str | None) -> date | None:
    return parse_date(text) if text else None


def fields_of(obj: models.Model, names: list[str]) -> dict[str, Any]:
    return {name: dump(getattr(obj, name)) for name in names}


class FieldProblem(Exception):  # noqa: N818 - reads as what it is
    """A document value its column cannot hold; `part` is the document object it came from."""

    def __init__(self, part: dict[str, Any], name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.part, self.name, self.message = part, name, message


def column_problem(field: models.Field[Any, Any], value: Any) -> str:
    """Why the column cannot hold the value (too long, too many digits, out of range), or ""."""
    if value is None:
        return ""
    try:
        field.run_validators(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def load_fields(
    model: type[models.Model], data: dict[str, Any], names: list[str]
) -> dict[str, Any]:
    """Turns document values back into what the model's fields hold; FieldProblem when a column
    cannot hold one."""
    loaded: dict[str, Any] = {}
    for name in names:
        value = data.get(name)
        field = model._meta.get_field(name)
        try:
            if value is None:
                loaded[name] = None
            elif isinstance(field, models.DateTimeField):
                loaded[name] = load_datetime(value)
            elif isinstance(field, models.DateField):
                loaded[name] = load_date(value)
            elif isinstance(field, models.DecimalField):
                loaded[name] = Decimal(value)
            elif isinstance(field, models.UUIDField):
                loaded[name] = uuid.UUID(value)
            else:
                loaded[name] = value
        except (ValueError, ArithmeticError) as error:
            raise FieldProblem(data, name, str(error)) from error
        if problem := column_problem(field, loaded[name]):  # type: ignore[arg-type]
            raise FieldProblem(data, name, f"{value!r} cannot be stored: {problem}")
    return loaded
