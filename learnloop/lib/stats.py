"""Distributions, never a bare mean: counts, median and 85th percentile."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal


def p85(values: list[Decimal]) -> Decimal | None:
    """The 85th percentile, interpolated between closest ranks (numpy's "linear", R's type 7)."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20, method="inclusive")[16]


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
            median=rounded(statistics.median(values) if values else None),
            p85=rounded(p85(values)),
            total=sum(values, Decimal(0)).quantize(Decimal("0.01")),
        )
