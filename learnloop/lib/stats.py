"""Distributions, never a bare mean: counts, median and 85th percentile."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


def percentile(values: list[Decimal], share: Decimal) -> Decimal | None:
    """Linear interpolation between closest ranks (the "linear" method of numpy and R's type 7)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    fraction = position - lower
    return ordered[lower] + (ordered[upper] - ordered[lower]) * fraction


@dataclass
class Distribution:
    count: int
    median: Decimal | None
    p85: Decimal | None
    total: Decimal

    @classmethod
    def of(cls, values: list[Decimal]) -> Distribution:
        def rounded(value: Decimal | None) -> Decimal | None:
            return value.quantize(Decimal("0.01")) if value is not None else None

        return cls(
            count=len(values),
            median=rounded(percentile(values, Decimal("0.5"))),
            p85=rounded(percentile(values, Decimal("0.85"))),
            total=sum(values, Decimal(0)).quantize(Decimal("0.01")),
        )
