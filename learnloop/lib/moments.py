"""The span of time learnloop stores: both databases, Python's datetime and every conversion
between time zones hold every moment in it. An API field or an imported document outside it is
refused with the field's name, never stored (a year-1 time with an offset does not even convert
to UTC)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

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
