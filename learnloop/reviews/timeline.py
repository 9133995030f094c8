"""The merged timeline of a review: every analyst's key events (and the imported report's) in one
list in time order, each keeping who told it. Where tellers seem to describe the same moment
differently, or the same happening at different times, the events are grouped side by side for
discussion; nothing is merged or dropped, because the differences are what the review learns from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

from learnloop.analysis.models import AnalysisAssignment, EventType, KeyEvent, Precision
from learnloop.incidents.models import Incident
from learnloop.lib.text import overlap, stems

IMPORTED_SOURCE = "Imported report"
SAME_MOMENT = "same_moment"
DIFFERENT_TIMES = "different_times"

# How far apart two tellers' windows may be and still be the same moment: people note the same
# minute from different screens and clocks.
SLACK = timedelta(minutes=5)
APPROXIMATE_HALF_WIDTH = timedelta(minutes=30)
# Word overlap (Jaccard) above which descriptions are "related" (same moment told differently),
# and "very similar" (the same happening, whatever the times say).
RELATED = 0.2
VERY_SIMILAR = 0.6
# Words shared by more events than this say little about sameness, and pairing every event that
# uses them would make the merge quadratic.
MIN_COMMON_WORD_CAP = 20


_EVENT_TYPES = dict(EventType.choices)


@dataclass(frozen=True, slots=True)
class ToldEvent:
    """A key event as the timeline reads it: the fields it shows and groups by, read as plain
    rows (2,000 model instances took twice as long to read as their rows), with its teller."""

    pk: int
    uid: UUID
    assignment_id: int | None
    assignment: AnalysisAssignment | None
    position: int
    precision: str
    occurred_at: datetime | None
    event_type: str
    actor_role: str
    description: str

    def get_event_type_display(self) -> str:
        return str(_EVENT_TYPES.get(self.event_type, self.event_type))


# What the timeline merges: key events as the tests and callers hold them, or as it reads them.
Event = KeyEvent | ToldEvent


@dataclass(frozen=True)
class TimelineEntry:
    event: Event
    source: str
    group: int | None

    # Each worked out once: the table, the groups and the drawing each ask.
    @cached_property
    def window(self) -> tuple[datetime, datetime] | None:
        return time_window(self.event)

    @cached_property
    def when(self) -> str:
        return time_label(self.event.occurred_at, self.event.precision)


@dataclass(frozen=True)
class TimelineGroup:
    number: int
    kind: str
    reason: str
    entries: tuple[TimelineEntry, ...]


@dataclass(frozen=True)
class MergedTimeline:
    entries: tuple[TimelineEntry, ...]
    groups: tuple[TimelineGroup, ...]


def source_of(event: Event) -> str:
    if event.assignment is None:
        return IMPORTED_SOURCE
    analyst = event.assignment.analyst
    return teller_name(analyst.first_name, analyst.last_name, analyst.email)


def teller_name(first_name: str, last_name: str, email: str) -> str:
    """An analyst as the timeline names them: their full name, else their address."""
    return f"{first_name} {last_name}".strip() or email


def is_timed(event: Event) -> bool:
    return event.occurred_at is not None and event.precision != Precision.UNKNOWN


def time_window(event: Event) -> tuple[datetime, datetime] | None:
    """The span of time the teller's words allow, in UTC; None when the time is unknown."""
    at = event.occurred_at
    if at is None or event.precision == Precision.UNKNOWN:
        return None
    at = at.astimezone(UTC)
    if event.precision == Precision.HOUR:
        start = at.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    if event.precision == Precision.DAY:
        start = at.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if event.precision == Precision.APPROXIMATE:
        return at - APPROXIMATE_HALF_WIDTH, at + APPROXIMATE_HALF_WIDTH
    return at, at


def day_of(at: datetime) -> str:
    """The day in words, with its year ("1 Jan 2020"), in UTC like the rest of the pages."""
    at = at.astimezone(UTC)
    return f"{at.day} {at:%b %Y}"


def clock(at: datetime | None, precision: str) -> str | None:
    """The time of day as precisely as it was told ("09:05", "about 09:05", "about 09:00"),
    "" for an event known to the day, None when nobody recorded when it happened."""
    if at is None or precision == Precision.UNKNOWN:
        return None
    at = at.astimezone(UTC)
    if precision == Precision.DAY:
        return ""
    if precision == Precision.HOUR:
        return f"about {at:%H}:00"
    if precision == Precision.APPROXIMATE:
        return f"about {at:%H:%M}"
    return f"{at:%H:%M}"


def time_label(at: datetime | None, precision: str) -> str:
    """The time as precisely as it was told, with its day."""
    told = clock(at, precision)
    if told is None or at is None:
        return "time unknown"
    return f"{day_of(at)}, {told}" if told else f"on {day_of(at)}"


def _teller(event: Event) -> int:
    return event.assignment_id or 0


def sort_time(event: Event) -> datetime:
    """Where a timed event sits: the instant told for an exact or approximate time ("about
    18:47" sits after an exact 18:45), the start of the hour or day told for those."""
    window = time_window(event)
    assert window is not None and event.occurred_at is not None
    if event.precision in (Precision.HOUR, Precision.DAY):
        return window[0]
    return event.occurred_at.astimezone(UTC)


def _order(events: list[Event]) -> list[int]:
    """The events' places in time order: timed events by their time, the untimed ones after
    them all (they have no time to sit at), each teller's in the order they were told."""

    def told(index: int) -> tuple[int, int, int]:
        event = events[index]
        return _teller(event), event.position, event.pk or 0

    places = range(len(events))
    timed = sorted(
        (i for i in places if is_timed(events[i])), key=lambda i: (sort_time(events[i]), told(i))
    )
    return timed + sorted((i for i in places if not is_timed(events[i])), key=told)


def _candidate_pairs(
    told: list[frozenset[str]], tellers: list[int], timed: list[bool]
) -> set[tuple[int, int]]:
    """Pairs of timed events from different tellers sharing at least one of the rarer words
    (how rare counts every event's words, timed or not)."""
    postings: dict[str, list[int]] = defaultdict(list)
    for index, event_words in enumerate(told):
        for word in event_words:
            postings[word].append(index)
    cap = max(MIN_COMMON_WORD_CAP, len(told) // 20)
    pairs: set[tuple[int, int]] = set()
    for sharing in postings.values():
        if len(sharing) < 2 or len(sharing) > cap:
            continue
        indices = [index for index in sharing if timed[index]]
        for i, first in enumerate(indices):
            for second in indices[i + 1 :]:
                if tellers[first] != tellers[second]:
                    pairs.add((first, second))
    return pairs


class _Components:
    """Groups built by joining pairs, each group holding at most one event per teller: a teller
    tells a moment once, and it keeps chains of loosely related events from swallowing the
    timeline."""

    def __init__(self, tellers: list[int]) -> None:
        self.parent = list(range(len(tellers)))
        self.tellers = [{teller} for teller in tellers]

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, a: int, b: int) -> bool:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b or self.tellers[root_a] & self.tellers[root_b]:
            return False
        self.parent[root_a] = root_b
        self.tellers[root_b] |= self.tellers[root_a]
        return True


def _names(sources: list[str]) -> str:
    unique = list(dict.fromkeys(sources))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _duration(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    if hours < 48:
        return f"{hours} hours"
    return f"{round(hours / 24)} days"


def _reason(kind: str, entries: list[TimelineEntry]) -> str:
    names = _names([entry.source for entry in entries])
    if kind == SAME_MOMENT:
        told = {" ".join(entry.event.description.lower().split()) for entry in entries}
        if len(told) == 1:
            return f"{names} tell this moment in the same words; check it is the same moment"
        return f"{names} tell this moment differently"
    windows = [w for w in (time_window(entry.event) for entry in entries) if w is not None]
    earliest_end = min(w[1] for w in windows)
    latest_start = max(w[0] for w in windows)
    span = max(timedelta(0), latest_start - earliest_end)
    exact = all(entry.event.precision == Precision.MINUTE for entry in entries)
    return f"{names} place this {'' if exact else 'at least '}{_duration(span)} apart"


@dataclass(frozen=True)
class _Layout:
    """What a merge decides, by the events' places in the list it was given: the timeline's
    order, the group number of each place in it (None outside any group), and each group's
    number, kind and reason."""

    order: list[int]
    group_of: list[int | None]
    groups: list[tuple[int, str, str]]


def _lay_out(events: list[Event], sources: list[str]) -> _Layout:
    """Orders the events and groups the ones that seem to tell the same moment (sources: who
    told each event)."""
    order = _order(events)
    ordered = [events[index] for index in order]
    told = [stems(event.description) for event in ordered]
    tellers = [_teller(event) for event in ordered]
    windows = [time_window(event) for event in ordered]
    # In seconds: comparing the pairs is most of the time of a large merge (6,000 pairs among
    # 2,000 events in the bench).
    starts = [window[0].timestamp() if window else 0.0 for window in windows]
    ends = [window[1].timestamp() if window else 0.0 for window in windows]
    slack = SLACK.total_seconds()

    flagged: list[tuple[float, float, int, int, str]] = []
    timed = [window is not None for window in windows]
    for first, second in _candidate_pairs(told, tellers, timed):
        alike = overlap(told[first], told[second])
        apart = max(0.0, max(starts[first], starts[second]) - min(ends[first], ends[second]))
        if apart <= slack:
            if alike >= RELATED:
                flagged.append((-alike, apart, first, second, SAME_MOMENT))
        elif alike >= VERY_SIMILAR:
            flagged.append((-alike, apart, first, second, DIFFERENT_TIMES))
    # The closest matches first, so each event ends up beside its best counterpart.
    flagged.sort()
    components = _Components(tellers)
    kind_of_pair: dict[tuple[int, int], str] = {}
    for _unlike, _apart, first, second, kind in flagged:
        if components.join(first, second):
            kind_of_pair[(first, second)] = kind

    # A group that holds any disagreement about time is flagged as such: it is the stronger
    # signal for the discussion.
    root_kind: dict[int, str] = {}
    for (first, _second), kind in kind_of_pair.items():
        root = components.find(first)
        if root_kind.get(root) != DIFFERENT_TIMES:
            root_kind[root] = kind
    numbers: dict[int, int] = {}
    for index in range(len(ordered)):
        root = components.find(index)
        if root in root_kind and root not in numbers:
            numbers[root] = len(numbers) + 1
    group_of = [numbers.get(components.find(index)) for index in range(len(ordered))]
    members: dict[int, list[TimelineEntry]] = defaultdict(list)
    for at, number in enumerate(group_of):
        if number is not None:
            members[number].append(TimelineEntry(ordered[at], sources[order[at]], number))
    groups = [
        (number, root_kind[root], _reason(root_kind[root], members[number]))
        for root, number in numbers.items()
    ]
    return _Layout(order, group_of, groups)


class _Layouts:
    """The last few layouts of this process, by everything a layout depends on: the workspace's
    polls and the review's several viewers merge the same events again and again, and at
    thousands of events the grouping is most of the timeline's time."""

    KEPT = 16

    def __init__(self) -> None:
        self.kept: OrderedDict[tuple[Any, ...], _Layout] = OrderedDict()
        self.lock = threading.Lock()

    def of(self, events: list[Event], sources: list[str]) -> _Layout:
        key = tuple(
            (e.pk, e.assignment_id, e.position, e.precision, e.occurred_at, e.description, source)
            for e, source in zip(events, sources, strict=True)
        )
        with self.lock:
            layout = self.kept.get(key)
            if layout is not None:
                self.kept.move_to_end(key)
                return layout
        layout = _lay_out(events, sources)
        with self.lock:
            self.kept[key] = layout
            if len(self.kept) > self.KEPT:
                self.kept.popitem(last=False)
        return layout


LAYOUTS = _Layouts()


def merge(events: Iterable[Event]) -> MergedTimeline:
    given = list(events)
    # One name per teller, looked up once: thousands of events share a handful of tellers.
    names: dict[int, str] = {}
    for event in given:
        if _teller(event) not in names:
            names[_teller(event)] = source_of(event)
    sources = [names[_teller(event)] for event in given]
    layout = LAYOUTS.of(given, sources)
    entries = tuple(
        TimelineEntry(event=given[index], source=sources[index], group=layout.group_of[at])
        for at, index in enumerate(layout.order)
    )
    members: dict[int, list[TimelineEntry]] = defaultdict(list)
    for entry in entries:
        if entry.group is not None:
            members[entry.group].append(entry)
    groups = tuple(
        TimelineGroup(number=number, kind=kind, reason=reason, entries=tuple(members[number]))
        for number, kind, reason in layout.groups
    )
    return MergedTimeline(entries=entries, groups=groups)


_TOLD_FIELDS = (
    "pk",
    "uid",
    "assignment_id",
    "position",
    "precision",
    "occurred_at",
    "event_type",
    "actor_role",
    "description",
)


def merged_timeline_for(incident: Incident) -> MergedTimeline:
    """The incident's merged timeline: its key events read as plain rows, and their few tellers
    read once with their people and given to each."""
    rows = list(KeyEvent.objects.filter(incident=incident).values_list(*_TOLD_FIELDS))
    wanted = {row[2] for row in rows if row[2] is not None}
    tellers = AnalysisAssignment.objects.filter(pk__in=wanted).select_related("analyst")
    told_by = {assignment.pk: assignment for assignment in tellers}
    return merge(
        ToldEvent(pk, uid, teller, told_by.get(teller) if teller else None, *rest)
        for pk, uid, teller, *rest in rows
    )
