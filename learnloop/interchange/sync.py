"""Writes only what differs, and says whether anything did: how re-importing the same document
leaves the database untouched and reports `unchanged`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


def assign(obj: models.Model, values: dict[str, Any]) -> bool:
    """Sets the values on obj; True when any differed."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def sync_children(
    existing: Iterable[M],
    desired: list[dict[str, Any]],
    make: Callable[[dict[str, Any]], M],
    key: str = "uid",
) -> tuple[bool, dict[Any, M]]:
    """Brings a set of child rows to the desired list, matched on key. New rows are created in
    one batch, changed rows saved, missing rows deleted. Returns (changed, rows by key)."""
    by_key = {getattr(row, key): row for row in existing}
    changed = False
    new: list[M] = []
    kept: dict[Any, M] = {}
    for values in desired:
        row = by_key.pop(values[key], None)
        if row is None:
            row = make(values)
            new.append(row)
        elif assign(row, values):
            row.save()
            changed = True
        kept[values[key]] = row
    if new:
        type(new[0])._default_manager.bulk_create(new)
        changed = True
    for stale in by_key.values():
        stale.delete()
        changed = True
    return changed, kept


def sync_m2m(manager: Any, wanted: Iterable[models.Model]) -> bool:
    wanted_ids = {obj.pk for obj in wanted}
    have = {obj.pk for obj in manager.all()}
    if wanted_ids == have:
        return False
    manager.set(list(wanted_ids))
    return True
