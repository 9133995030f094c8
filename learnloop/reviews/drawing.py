"""The merged timeline drawn as a time axis, on the server (SVG, no script): one lane per analyst
and one for the incident's own events (the imported report, the alerting tool), a lane of chat
messages where an export was imported, each event at its time with its precision as a span,
disagreements highlighted and linked across lanes, and untimed events in a row of their own. The
accessible table with the same events stays beside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from learnloop.reviews.timeline import MergedTimeline, TimelineEntry

WIDTH = 1000
LEFT = 150  # lane names
RIGHT = 20
LANE = 46
AXIS = 34
HIGHLIGHT = "#c0392b"
EVENT = "#2956b2"
CHAT = "#6b7280"


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window_of(timeline: MergedTimeline, chat: list[datetime]) -> Window | None:
    spans = [e.window for e in timeline.entries if e.window is not None]
    times = [t for span in spans for t in span if span is not None] + chat
    if not times:
        return None
    start, end = min(times), max(times)
    margin = max((end - start) / 20, timedelta(minutes=5))
    return Window(start - margin, end + margin)


def _label(at: datetime, window: Window) -> str:
    span = window.end - window.start
    if window.start.year != window.end.year:
        return f"{at.day} {at:%b %Y %H:%M}" if span < timedelta(days=30) else f"{at:%b %Y}"
    if span <= timedelta(days=1) and window.start.date() == window.end.date():
        return f"{at:%H:%M}"
    if span <= timedelta(days=3):
        return f"{at.day} {at:%b %H:%M}"
    return f"{at.day} {at:%b}"


def _ticks(window: Window, count: int = 6) -> list[datetime]:
    step = (window.end - window.start) / count
    return [window.start + step * n for n in range(count + 1)]


def draw(
    timeline: MergedTimeline,
    chat: list[datetime] | None = None,
    zoom: Window | None = None,
    title: str = "Timeline",
) -> str:
    """The SVG, as markup. `chat`: the times of the incident's chat messages (a lane of ticks);
    `zoom`: draw only this window."""
    chat = chat or []
    window = zoom or window_of(timeline, chat)
    lanes = list(dict.fromkeys(e.source for e in timeline.entries if e.window is not None))
    if chat:
        lanes.append("Chat messages")
    untimed = [e for e in timeline.entries if e.window is None]
    height = AXIS + LANE * max(len(lanes), 1) + (LANE if untimed else 0) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="group" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" class="timeline-drawing" aria-labelledby="timeline-title">',
        f'<title id="timeline-title">{escape(title)}: the table below lists the same events'
        "</title>",
    ]
    if window is None:
        parts.append(
            f'<text x="{LEFT}" y="{AXIS}" font-size="13" fill="currentColor">'
            "No timed events yet.</text>"
        )
    else:
        parts += _axis(window, height)
        parts += _lanes(timeline, lanes, window, chat)
    if untimed:
        y = AXIS + LANE * len(lanes) + LANE // 2
        parts.append(
            f'<text x="8" y="{y + 4}" font-size="12" fill="currentColor">Time unknown</text>'
        )
        x = float(LEFT)
        for entry in untimed:
            text = entry.event.description[:28] + ("…" if len(entry.event.description) > 28 else "")
            w = 8 + 6.2 * len(text)
            if x + w > WIDTH - RIGHT:
                break
            parts.append(
                f"<g><title>{escape(entry.source)}: {escape(entry.event.description)} "
                f'(time unknown)</title><rect x="{x:.1f}" y="{y - 11}" width="{w:.1f}" '
                f'height="20" rx="4" fill="none" stroke="{EVENT}" stroke-dasharray="3 2"/>'
                f'<text x="{x + 4:.1f}" y="{y + 3}" font-size="11" fill="currentColor">'
                f"{escape(text)}</text></g>"
            )
            x += w + 6
    parts.append("</svg>")
    return "".join(parts)


def _x(at: datetime, window: Window) -> float:
    span = (window.end - window.start).total_seconds() or 1.0
    share = (at.astimezone(UTC) - window.start.astimezone(UTC)).total_seconds() / span
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def _axis(window: Window, height: int) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{AXIS - 8}" x2="{WIDTH - RIGHT}" y2="{AXIS - 8}" '
        'stroke="currentColor" stroke-opacity=".5"/>'
    ]
    for number, tick in enumerate(_ticks(window)):
        x = _x(tick, window)
        label = _label(tick, window) + (" UTC" if number == 0 else "")
        anchor = "start" if number == 0 else "middle"
        parts.append(
            f'<line x1="{x:.1f}" y1="{AXIS - 12}" x2="{x:.1f}" y2="{height - 4}" '
            'stroke="currentColor" stroke-opacity=".12"/>'
            f'<text x="{x:.1f}" y="{AXIS - 16}" font-size="11" text-anchor="{anchor}" '
            f'fill="currentColor">{escape(label)}</text>'
        )
    return parts


def _lanes(
    timeline: MergedTimeline, lanes: list[str], window: Window, chat: list[datetime]
) -> list[str]:
    parts: list[str] = []
    centre = {name: AXIS + LANE * n + LANE // 2 for n, name in enumerate(lanes)}
    for name, y in centre.items():
        parts.append(
            f'<text x="8" y="{y + 4}" font-size="12" fill="currentColor">'
            f"{escape(name[:22])}</text>"
            f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" '
            'stroke="currentColor" stroke-opacity=".2"/>'
        )
    shown = [e for e in timeline.entries if e.window is not None and inside(e, window)]
    points: dict[int, list[tuple[float, int]]] = {}
    for entry in shown:
        start, end = entry.window  # type: ignore[misc]
        y = centre[entry.source]
        x1, x2 = _x(max(start, window.start), window), _x(min(end, window.end), window)
        colour = HIGHLIGHT if entry.group else EVENT
        told = f"{entry.source}, {entry.when}: {entry.event.description}"
        if entry.group:
            told += f" (group {entry.group}: told differently)"
            points.setdefault(entry.group, []).append(((x1 + x2) / 2, y))
        mark = (
            f'<rect x="{x1:.1f}" y="{y - 6}" width="{max(x2 - x1, 2):.1f}" height="12" rx="6" '
            f'fill="{colour}" fill-opacity=".35" stroke="{colour}"/>'
            if x2 - x1 > 3
            else f'<circle cx="{x1:.1f}" cy="{y}" r="6" fill="{colour}"/>'
        )
        parts.append(
            f'<a href="#event-{entry.event.pk}"><g><title>{escape(told)}</title>{mark}</g></a>'
        )
    for number, marks in points.items():
        if len(marks) > 1:
            path = " ".join(f"{x:.1f},{y}" for x, y in sorted(marks, key=lambda m: m[1]))
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{HIGHLIGHT}" '
                f'stroke-dasharray="4 3"><title>Group {number}: the same moment told '
                "differently</title></polyline>"
            )
    if chat:
        y = centre["Chat messages"]
        for at in chat:
            if window.start <= at <= window.end:
                x = _x(at, window)
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y - 7}" x2="{x:.1f}" y2="{y + 7}" '
                    f'stroke="{CHAT}" stroke-opacity=".6"/>'
                )
    return parts


def inside(entry: TimelineEntry, window: Window) -> bool:
    start, end = entry.window  # type: ignore[misc]
    return end >= window.start and start <= window.end
