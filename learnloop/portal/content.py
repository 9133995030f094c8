"""What readers see of a revision: its sanitised HTML, a short summary, and the same text cut
into slides for a walkthrough."""

from __future__ import annotations

import re
from dataclasses import dataclass

from learnloop.lib.markdown import render
from learnloop.narratives.models import Narrative, Publication

# A slide holds about what fits on a projected screen; longer sections continue on the next one.
SLIDE_CHARACTERS = 900
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_HEADING = re.compile(r"^##\s+(.*?)\s*#*\s*$")
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Slide:
    title: str
    html: str


@dataclass
class Section:
    title: str
    text: str


def body_of(publication: Publication) -> str:
    return publication.version.body


def html_of(publication: Publication) -> str:
    return render(body_of(publication))


def sections(body: str) -> tuple[str, list[Section]]:
    """The text before the first `##` heading, then each `##` section. Headings inside fenced
    code blocks are code, not sections."""
    preamble: list[str] = []
    found: list[Section] = []
    fenced = False
    for line in body.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            found.append(Section(heading.group(1), ""))
        elif found:
            found[-1].text += line + "\n"
        else:
            preamble.append(line)
    return "\n".join(preamble).strip(), found


def summary_of(narrative: Narrative, publication: Publication) -> str:
    """Plain text: the Summary section's first paragraph, else the incident's summary."""
    preamble, found = sections(body_of(publication))
    chosen = next((s.text for s in found if s.title.strip().lower() == "summary"), preamble)
    paragraph = chosen.strip().split("\n\n")[0] if chosen.strip() else narrative.incident.summary
    text = " ".join(_TAGS.sub("", render(paragraph)).split())
    return text if len(text) <= 400 else text[:399].rstrip() + "…"


def _blocks(text: str) -> list[str]:
    """Paragraph-sized pieces, keeping fenced code blocks whole."""
    blocks: list[str] = []
    current: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pieces(text: str) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for block in _blocks(text):
        if current and size + len(block) > SLIDE_CHARACTERS:
            pieces.append("\n\n".join(current))
            current, size = [], 0
        current.append(block)
        size += len(block)
    if current:
        pieces.append("\n\n".join(current))
    return pieces or [""]


def slides(title: str, body: str, subtitle: str = "") -> list[Slide]:
    """A title slide, then one slide per `##` section; a long section continues on more slides."""
    preamble, found = sections(body)
    deck = [Slide(title, render(subtitle + "\n\n" + preamble))]
    for section in found:
        for number, piece in enumerate(_pieces(section.text)):
            heading = section.title if number == 0 else f"{section.title} (continued)"
            deck.append(Slide(heading, render(piece)))
    return deck
