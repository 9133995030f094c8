"""What every imported document must respect before anything is written, whatever its format:
limits both databases honour. Reported as `FILE: JSON-PATH: message` like every other problem.

- a file is at most MAX_FILE_BYTES; nesting at most MAX_DEPTH levels;
- a string holds no NUL and no lone surrogate (neither can be stored as UTF-8 text), and is at
  most MAX_STRING characters (a column may allow fewer: checked when the value is loaded);
- an integer fits 64 bits; a number is finite (NaN and Infinity are not JSON);
- a date-time lies between 1900 and 2199 (lib/moments.py)."""

from __future__ import annotations

from typing import Any

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_DEPTH = 32
MAX_STRING = 1_000_000
BIGGEST = 2**63 - 1


def refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def structure_errors(name: str, data: Any) -> list[str]:
    """Walks the parsed document without recursion (its depth is what is checked)."""
    from learnloop.interchange.checks import json_path

    found: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack and len(found) < 50:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            found.append(f"{name}: {json_path(path)}: nested deeper than {MAX_DEPTH} levels")
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                problem = string_problem(key)
                if problem:
                    found.append(f"{name}: {json_path(path)}: a property name {problem}")
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, str):
            problem = string_problem(value)
            if problem:
                found.append(f"{name}: {json_path(path)}: {problem}")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > BIGGEST:
            found.append(f"{name}: {json_path(path)}: {value} does not fit 64 bits")
    return sorted(found)


def string_problem(text: str) -> str:
    if "\x00" in text:
        return "contains a NUL character (\\u0000), which cannot be stored"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate (an unpaired \\ud800-\\udfff), which is not text"
    if len(text) > MAX_STRING:
        return f"is {len(text):,} characters long; at most {MAX_STRING:,} are allowed"
    return ""
