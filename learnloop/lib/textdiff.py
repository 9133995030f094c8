"""Differences between two texts, line by line, for people to read: side-by-side rows for pages,
a unified diff for scripts. Rows carry plain text; templates escape it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

Change = Literal["equal", "changed", "removed", "added", "skipped"]


@dataclass(frozen=True)
class Row:
    change: Change
    old_number: int | None  # 1-based line number in the older text
    old_text: str  # for "skipped": how many unchanged lines were left out
    new_number: int | None
    new_text: str


def side_by_side(old: str, new: str) -> list[Row]:
    """Every line of both texts once, paired where they correspond."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                Row("equal", i + 1, old_lines[i], j + 1, new_lines[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        # A replaced block pairs its lines in order; the longer side's rest stands alone.
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            has_old, has_new = i < i2, j < j2
            change: Change = "changed" if has_old and has_new else "removed" if has_old else "added"
            rows.append(
                Row(
                    change,
                    i + 1 if has_old else None,
                    old_lines[i] if has_old else "",
                    j + 1 if has_new else None,
                    new_lines[j] if has_new else "",
                )
            )
    return rows


def around_changes(rows: list[Row], context: int = 3) -> list[Row]:
    """The changed rows with `context` unchanged rows either side; each longer run of unchanged
    rows becomes one "skipped" row, so that a long narrative's diff shows what changed."""
    keep = [False] * len(rows)
    for index, row in enumerate(rows):
        if row.change != "equal":
            for near in range(max(0, index - context), min(len(rows), index + context + 1)):
                keep[near] = True
    shown: list[Row] = []
    skipped = 0
    for row, kept in zip(rows, keep, strict=True):
        if kept:
            if skipped:
                shown.append(_skipped(skipped))
                skipped = 0
            shown.append(row)
        else:
            skipped += 1
    if skipped:
        shown.append(_skipped(skipped))
    return shown


def _skipped(count: int) -> Row:
    return Row("skipped", None, f"{count} unchanged line{'s' if count != 1 else ''}", None, "")


def unified(old: str, new: str, old_name: str, new_name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=old_name,
            tofile=new_name,
        )
    )
