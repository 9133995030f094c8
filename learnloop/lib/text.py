"""Words of free text, one way for the whole product: the search's query terms, the timeline's
"same moment told twice", similar improvement actions and similar incidents. Stems come from the
Snowball English stemmer (Porter2), so that "rolled back", "rolling back" and "rollback" meet."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Any

WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Words that say nothing about what happened: too common to tell two texts apart.
_STOP_TEXT = """a an the and or but nor of to in on at by for from with into onto over under after
before about as is are was were be been being it its this that these those then than there here
we our us they them their he she his her i me my you your not no so up down out off all any some
has have had do does did done can could would should will shall may might must also again still
just only very too which who whom what when where why how while during more new add use"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


@cache
def _stemmer() -> Any:
    """Made on first use: the stemmer package loads every language's stemmer when imported."""
    import snowballstemmer  # type: ignore[import-untyped]

    return snowballstemmer.stemmer("english")


def terms(text: str) -> list[str]:
    """The text's words in order, lower-cased, without stop words or single letters: what a
    search looks for (the database's full-text index stems them itself)."""
    found = (word.lower() for word in WORD.findall(text))
    return [word for word in found if word not in STOP_WORDS and (len(word) > 1)]


STEMMED_TEXTS = 4_096


@lru_cache(maxsize=20_000)
def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


@lru_cache(maxsize=STEMMED_TEXTS)
def stems(text: str) -> frozenset[str]:
    """The text's content words, stemmed: two texts about the same thing share many of these.
    Words shorter than three letters say too little, unless they are numbers. The same texts
    come again and again (a review's key events merged after each change, an organisation's
    actions for each new one), so the last STEMMED_TEXTS are kept, about 1 kB each."""
    return frozenset(stem(word) for word in terms(text) if len(word) >= 3 or word.isdigit())


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity: the share of the two texts' stems that both have."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)
