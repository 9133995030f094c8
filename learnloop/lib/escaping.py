"""HTML escaping for markup written out in Python (long selects, the timeline's table): Django's
conditional_escape without its wrapper for lazy strings, which was most of the time of a list of
2,000 options."""

from __future__ import annotations

import html
from typing import Any


def escaped(value: Any) -> str:
    """The value as text in HTML: what is already markup (`__html__`) as it is, the rest
    escaped as Django escapes it (`<`, `>`, `&`, both quotes)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))
