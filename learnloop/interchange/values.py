"""JSON values for learnloop's documents: exact decimals as strings, UTC times with a Z."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.dateparse import parse_date, parse_datetime


def dump(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def load_datetime(text: str | None) -> datetime | None:
    if text is None:
        return None
    parsed = parse_datetime(text)
    if parsed is None:
        raise ValueError(f"'{text}' is not a date-time")
    if parsed.tzinfo is None:
        raise ValueError(f"'{text}' has no time zone")
    return parsed.astimezone(UTC)


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


def load_fields(
    model: type[models.Model], data: dict[str, Any], names: list[str]
) -> dict[str, Any]:
    """Turns document values back into what the model's fields hold."""
    loaded: dict[str, Any] = {}
    for name in names:
        value = data.get(name)
        field = model._meta.get_field(name)
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
    return loaded
