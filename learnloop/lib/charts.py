"""Small SVG charts drawn on the server: no script, no network, and each one goes beside a table
with the same figures for those who cannot see it."""

from __future__ import annotations

from decimal import Decimal
from html import escape

COLOURS = ("#2956b2", "#c0692b", "#3c8d5a", "#8a4fb0", "#a33a1f", "#5b6577")


def bars(
    title: str,
    labels: list[str],
    series: dict[str, list[Decimal]],
    width: int = 640,
    height: int = 220,
    bands: list[tuple[Decimal, str]] | None = None,
) -> str:
    """Stacked bars, one per label, one colour per series; optional horizontal band lines."""
    left, bottom, top = 56, 28, 24
    plot_h = height - bottom - top
    totals = [
        sum((values[i] for values in series.values()), Decimal(0)) for i in range(len(labels))
    ]
    ceiling = max([*totals, *(value for value, _ in bands or [])], default=Decimal(0))
    ceiling = ceiling if ceiling > 0 else Decimal(1)
    step = (width - left - 8) / max(len(labels), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" '
        'stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="10">'
        f"{escape(f'{ceiling:,.0f}')}</text>",
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>',
    ]
    for index, label in enumerate(labels):
        x = left + index * step + step * 0.15
        y = float(top + plot_h)
        for number, (name, values) in enumerate(series.items()):
            h = float(values[index] / ceiling) * plot_h if values[index] > 0 else 0.0
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[number % len(COLOURS)]}"><title>{escape(label)} '
                f"{escape(name)}: {values[index]}</title></rect>"
            )
        parts.append(
            f'<text x="{x + step * 0.35:.1f}" y="{height - 10}" text-anchor="middle" '
            f'font-size="10">{escape(label)}</text>'
        )
    for value, name in bands or []:
        y = float(top + plot_h) - float(value / ceiling) * plot_h
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" '
            f'stroke="#a33a1f" stroke-dasharray="4 3"/><text x="{width - 10}" '
            f'y="{y - 3:.1f}" text-anchor="end" font-size="10">{escape(name)}</text>'
        )
    for number, name in enumerate(series):
        parts.append(
            f'<rect x="{left + number * 120}" y="4" width="10" height="10" '
            f'fill="{COLOURS[number % len(COLOURS)]}"/><text x="{left + number * 120 + 14}"'
            f' y="13" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
