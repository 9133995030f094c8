"""A blame-aware language check for narratives: it finds wording that learning-from-incidents
practice warns against, says why, and suggests another way to put it. It informs; it never blocks.

Matching is case-insensitive and bounded by whole words (hyphenated words count as one word, so
"just-in-time" is not "just"). Markdown code spans and code blocks are left alone: they quote
commands and logs, not anyone's judgement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the parser is imported by the first check, not by every worker
    from markdown_it import MarkdownIt


@dataclass(frozen=True)
class Finding:
    line: int  # 1-based
    column: int  # 1-based, in characters
    phrase: str  # as written in the text
    why: str
    suggestion: str


@dataclass(frozen=True)
class Rule:
    pattern: str  # a regular expression; the word boundaries are added around it
    why: str
    suggestion: str


# Apostrophes as typed and as typographers set them.
Q = "'\u2019"

_HINDSIGHT = (
    "Counterfactuals describe a world that did not happen; they judge with hindsight what people "
    "could not know at the time, and stop the search for why their actions made sense."
)
_MINIMISING = (
    "Minimising words make the work sound trivial and hide the difficulty people faced; what is "
    "easy in hindsight was not at the time."
)

RULES: tuple[Rule, ...] = (
    Rule(
        r"human\s+error|operator\s+error|user\s+error",
        "Naming error as the cause ends the inquiry where it should start: the conditions that "
        "made the action reasonable at the time.",
        "Describe what the person did, what they knew, and what in the system made it reasonable.",
    ),
    Rule(
        rf"(?:should|could)(?:n[{Q}]t|\s+not)?\s+have|should[{Q}]ve|could[{Q}]ve",
        _HINDSIGHT,
        "Describe what happened and what people knew then; ask what would have helped them.",
    ),
    Rule(
        r"fail(?:ed|s|ing)?\s+to",
        '"Failed to" frames an action as a personal shortcoming and hides why it did not happen.',
        'Say what happened instead ("the check did not run because ...").',
    ),
    Rule(
        r"careless(?:ness|ly)?",
        "Calling people careless judges them and explains nothing about the work.",
        "Describe the conditions: workload, time pressure, tooling, what was visible.",
    ),
    Rule(
        r"negligen(?:t|ce|tly)",
        "Negligence is a legal and moral judgement; it makes people hide what they know.",
        "Describe what was done and the pressures and trade-offs around it.",
    ),
    Rule(
        r"if\s+only",
        _HINDSIGHT,
        "State what happened, and what could make the right move easier next time.",
    ),
    Rule(
        r"(?:the\s+)?root[\s-]+cause",
        "Complex systems fail through several contributing factors together; one single root "
        "cause hides the others.",
        "Speak of contributing factors, several of them, human and technical.",
    ),
    Rule(
        r"obviously|simply|just",
        _MINIMISING,
        "Leave the word out, or explain what made it hard to see at the time.",
    ),
    Rule(
        rf"why\s+did(?:n[{Q}]t|\s+not)",
        '"Why didn\'t" asks people to defend themselves against hindsight.',
        'Ask "what made sense at the time?" or "what did you see then?"',
    ),
    Rule(
        r"mistake\s+(?:by|of)",
        "Attributing a mistake to someone puts blame on a person instead of on the conditions.",
        "Describe the action and what in the system made it possible or likely.",
    ),
)

_PERSON_AS_CAUSE = (
    "Naming a person as the cause puts blame on them and makes the next person hide what they know."
)
_PERSON_SUGGESTION = (
    "Describe what the person did and the conditions around it; name the factors, not the person."
)

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
# A code span ends at its closing backticks and never crosses a blank line.
_CODE_SPAN = re.compile(r"(`+)((?:[^\n]|\n(?![ \t]*\n))+?)(?<!`)\1(?!`)")


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _bounded(pattern: str) -> str:
    # Letters, digits, underscores, hyphens and apostrophes belong to a word: no hits inside one.
    return rf"(?<![\w{Q}-])(?:{pattern})(?![\w-]|[{Q}]\w)"


def _compiled(rules: Iterable[Rule]) -> list[tuple[re.Pattern[str], Rule]]:
    return [(re.compile(_bounded(r.pattern), re.IGNORECASE), r) for r in rules]


_COMPILED = _compiled(RULES)


def person_rules(people_names: Iterable[str]) -> list[Rule]:
    """Rules that catch a named person given as the cause."""
    names = sorted({n.strip() for n in people_names if n and n.strip()}, key=len, reverse=True)
    if not names:
        return []
    name = "(?:" + "|".join(r"\s+".join(map(re.escape, n.split())) for n in names) + ")"
    return [
        Rule(
            rf"{name}\s+(?:caused|broke|was\s+responsible\s+for|is\s+to\s+blame)",
            _PERSON_AS_CAUSE,
            _PERSON_SUGGESTION,
        ),
        Rule(rf"{name}[{Q}]s\s+(?:mistake|error|fault)", _PERSON_AS_CAUSE, _PERSON_SUGGESTION),
        Rule(
            rf"(?:caused\s+by|due\s+to|because\s+of|blame\s+on|fault\s+of)\s+{name}",
            _PERSON_AS_CAUSE,
            _PERSON_SUGGESTION,
        ),
    ]


def _masked(text: str) -> str:
    """The text with code blocks and code spans blanked out, every other character in place."""
    lines = text.split("\n")
    for token in _parser().parse(text):
        if token.type in ("fence", "code_block") and token.map:
            start, end = token.map
            for index in range(start, min(end, len(lines))):
                lines[index] = " " * len(lines[index])
    joined = "\n".join(lines)
    return _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), joined)


def check(text: str, people_names: Iterable[str] = ()) -> list[Finding]:
    """Every flagged phrase in `text`, in reading order."""
    masked = _masked(text or "")
    line_starts = [0] + [m.end() for m in re.finditer("\n", masked)]
    findings: list[Finding] = []
    for pattern, rule in _COMPILED + _compiled(person_rules(people_names)):
        for match in pattern.finditer(masked):
            line = _line_of(line_starts, match.start())
            findings.append(
                Finding(
                    line=line + 1,
                    column=match.start() - line_starts[line] + 1,
                    phrase=text[match.start() : match.end()],
                    why=rule.why,
                    suggestion=rule.suggestion,
                )
            )
    return sorted(findings, key=lambda f: (f.line, f.column))


def _line_of(line_starts: list[int], offset: int) -> int:
    low, high = 0, len(line_starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if line_starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low
