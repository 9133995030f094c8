"""Cost of delay and CD3, as learnloop defines them (see PRODUCT.md's cost model).
Money is Decimal throughout; rounding happens once, at the end, to the cent."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
WEEK_SECONDS = Decimal(7 * 24 * 3600)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def estimate_per_week(
    recurrence_chance_per_week: Decimal,
    exposure_per_hour: Decimal,
    typical_duration_hours: Decimal,
    toil_hours_per_week: Decimal,
    hourly_rate: Decimal,
) -> Decimal:
    """Chance of recurrence a week x expected loss per recurrence, plus weekly toil at the rate."""
    if not Decimal(0) <= recurrence_chance_per_week <= Decimal(1):
        raise ValueError("The chance of recurrence per week is between 0 and 1.")
    for value in (exposure_per_hour, typical_duration_hours, toil_hours_per_week, hourly_rate):
        if value < 0:
            raise ValueError("Amounts and hours cannot be negative.")
    expected_loss = exposure_per_hour * typical_duration_hours
    return cents(recurrence_chance_per_week * expected_loss + toil_hours_per_week * hourly_rate)


def cd3(cost_of_delay_per_week: Decimal | None, estimate_weeks: Decimal | None) -> Decimal | None:
    """Cost of delay divided by duration: the higher, the sooner it should be done."""
    if cost_of_delay_per_week is None or not estimate_weeks:
        return None
    return cents(cost_of_delay_per_week / estimate_weeks)


def weeks_between(start: datetime, end: datetime) -> Decimal:
    if end <= start:
        return Decimal(0)
    return Decimal((end - start).total_seconds()) / WEEK_SECONDS


def accrued(cost_of_delay_per_week: Decimal | None, start: datetime, end: datetime) -> Decimal:
    """Cost of delay accrued over the weeks waited, to the cent."""
    if cost_of_delay_per_week is None:
        return Decimal("0.00")
    return cents(cost_of_delay_per_week * weeks_between(start, end))
