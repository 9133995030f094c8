"""The merged timeline's table rows and its groups flagged for discussion, written out in Python
as lib/widgets writes a long select: a review of 2,000 key events spent 100 ms of its step in the
templates' loops (bench). The markup is the one reviews/steps/understanding.html and
reviews/timeline.html wrote."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.utils.safestring import SafeString, mark_safe

from learnloop.lib.escaping import escaped
from learnloop.reviews.timeline import DIFFERENT_TIMES, TimelineEntry, TimelineGroup


def table_rows(
    entries: Iterable[TimelineEntry], notes: Mapping[int, str] | None = None, linked: bool = False
) -> SafeString:
    """One row per entry: when, whose telling, type, what happened (with the markup of the
    context notes beside it, by event), and its group's badge, a link to the group when
    `linked` (the workspace lists the groups above)."""
    beside = notes or {}
    rows = []
    for entry in entries:
        event = entry.event
        badge, flagged = "", ""
        if entry.group:
            flagged = ' class="flagged"'
            badge = (
                f'<a href="#group-{entry.group}" class="badge overdue">group {entry.group}</a>'
                if linked
                else f'<span class="badge overdue">group {entry.group}</span>'
            )
        rows.append(
            f'<tr id="event-{event.pk}"{flagged}><td>{escaped(entry.when)}</td>'
            f"<td>{escaped(entry.source)}</td><td>{escaped(event.get_event_type_display())}</td>"
            f"<td>{escaped(event.description)}{beside.get(event.pk, '')}</td>"
            f"<td>{badge}</td></tr>"
        )
    return mark_safe("\n".join(rows))  # every value was escaped


def flagged_groups(groups: Iterable[TimelineGroup]) -> SafeString:
    """Each group flagged for discussion, its tellings side by side."""
    cards = []
    for group in groups:
        kind = (
            "different times" if group.kind == DIFFERENT_TIMES else "same moment, told differently"
        )
        tellings = "".join(
            f'<div class="card"><strong>{escaped(entry.source)}</strong> '
            f'<span class="muted">{escaped(entry.when)}</span>'
            f"<p>{escaped(entry.event.description)}</p></div>"
            for entry in group.entries
        )
        cards.append(
            f'<div class="card flagged" id="group-{group.number}">\n'
            f'<p><span class="badge overdue">{kind}</span> <strong>Group {group.number}</strong>: '
            f'{escaped(group.reason)}</p>\n<div class="side-by-side">{tellings}</div>\n</div>'
        )
    return mark_safe("\n".join(cards))  # every value was escaped
