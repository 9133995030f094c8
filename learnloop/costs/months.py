"""The ledger summed by month (LedgerMonth). The entries stay the truth: a month's sums are
recomputed from its entries in the transaction that appends to it (ledger.post appends in
bulk, LedgerEntry.save one entry), and the migration that made the table summed every month.
A report over a period reads the whole months inside it from here and only the days at its
edges from the entries, so its cost does not grow with the ledger."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

from django.db.models import Model, QuerySet, Sum
from django.db.models.functions import TruncMonth

from learnloop.accounts.models import Organisation


def hold(organisation_id: int) -> None:
    """One writer of the organisation's ledger at a time: its row is locked until the commit.
    Two at once would each recompute a month without the other's entries (and ledger.post
    would append the same differences twice). FOR NO KEY UPDATE on PostgreSQL: FOR UPDATE
    would also hold up every row written meanwhile that refers to the organisation (each
    checks its key with a share lock), every incident recorded while the worker posts."""
    held = Organisation.objects.select_for_update(no_key=True).filter(pk=organisation_id)
    held.values_list("pk").first()


def next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first day of the first whole month from start to end and the first day after the
    last whole month, or None when no whole month lies between them."""
    first = start if start.day == 1 else next_month(start)
    after = next_month(end) if next_month(end) - timedelta(days=1) == end else end.replace(day=1)
    return (first, after) if first < after else None


def refresh(
    entries: QuerySet[Any, Any],
    sums: type[Model],
    organisation_id: int,
    months: Collection[date] | None = None,
) -> None:
    """Recomputes the organisation's sums for these months (first days; every month when None)
    from its entries. Models are given so that the migration can pass its own."""
    kept = sums._default_manager.filter(organisation_id=organisation_id)
    chosen = entries.filter(organisation_id=organisation_id)
    if months is not None:
        if not months:
            return
        kept = kept.filter(month__in=months)
        chosen = chosen.filter(
            occurred_on__gte=min(months), occurred_on__lt=next_month(max(months))
        )
    kept.delete()
    rows = (
        chosen.annotate(month=TruncMonth("occurred_on"))
        .values("month", "team_id", "cost_type", "capex")
        .annotate(amount=Sum("amount"), hours=Sum("hours"))
        .order_by()
    )
    sums._default_manager.bulk_create(
        [
            sums(
                organisation_id=organisation_id,
                month=row["month"],
                team_id=row["team_id"],
                cost_type=row["cost_type"],
                capex=row["capex"],
                amount=row["amount"] or 0,
                hours=row["hours"] or 0,
            )
            for row in rows
            if months is None or row["month"] in months
        ],
        batch_size=500,
    )
