"""The blame-aware language check: what it flags, where, and what it leaves alone."""

from __future__ import annotations

import pytest

from learnloop.lib.language import check


def phrases(text: str, people: tuple[str, ...] = ()) -> list[str]:
    return [finding.phrase for finding in check(text, people)]


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("It was Human Error.", "Human Error"),
        ("They should have paged earlier.", "should have"),
        ("He shouldn't have deployed.", "shouldn't have"),
        ("She shouldn\u2019t have deployed.", "shouldn\u2019t have"),
        ("We could have noticed.", "could have"),
        ("The engineer failed to check.", "failed to"),
        ("A careless change.", "careless"),
        ("Carelessness again.", "Carelessness"),
        ("That was negligent.", "negligent"),
        ("If only we had known.", "If only"),
        ("The root cause was DNS.", "The root cause"),
        ("A root-cause analysis.", "root-cause"),
        ("Obviously the cache was cold.", "Obviously"),
        ("Simply restart it.", "Simply"),
        ("It was just a typo.", "just"),
        ("Why didn't anyone look?", "Why didn't"),
        ("A mistake by the operator.", "mistake by"),
    ],
)
def test_each_warned_phrase_is_found(text, phrase):
    assert phrases(text) == [phrase]


def test_a_finding_says_where_why_and_what_instead():
    [finding] = check("Line one.\n  The deploy failed to roll back.")
    assert (finding.line, finding.column, finding.phrase) == (2, 14, "failed to")
    assert "shortcoming" in finding.why
    assert finding.suggestion


def test_no_hits_inside_other_words():
    text = (
        "We adjusted the justice system just-in-time. The rooted causes, a shoulder, "
        "unjustly careful, carelessly-named? No: negligently is a different word from negligentia."
    )
    assert phrases(text) == ["negligently"]
    assert phrases("Justify, adjust, simplyfy, obviousness, iffy onlyness, failedto.") == []


def test_markdown_code_is_left_alone():
    text = "\n".join(
        [
            "Run `just deploy` to ship; the `root cause` tool.",
            "```",
            "echo human error",
            "```",
            "",
            "    indented code: failed to start",
            "",
            "But this is simply prose.",
        ]
    )
    assert [(f.phrase, f.line) for f in check(text)] == [("simply", 8)]


def test_a_named_person_as_the_cause_is_flagged():
    people = ("Alice Analyst", "Alice", "Bob")
    text = (
        "Alice caused the outage. It was Bob's mistake. The outage was caused by Alice Analyst, "
        "due to Bob, because of Alice. Alice restarted the service."
    )
    assert phrases(text, people) == [
        "Alice caused",
        "Bob's mistake",
        "caused by Alice Analyst",
        "due to Bob",
        "because of Alice",
    ]


def test_names_are_only_checked_when_given_and_match_whole_names():
    assert phrases("Alice caused the outage.") == []
    assert phrases("Malice caused the outage; caused by Bobby.", ("Alice", "Bob")) == []


def test_findings_are_in_reading_order_and_the_check_never_raises():
    text = "Simply put, the root cause: human error.\nThey should have known."
    assert [(f.line, f.phrase) for f in check(text)] == [
        (1, "Simply"),
        (1, "the root cause"),
        (1, "human error"),
        (2, "should have"),
    ]
    assert check("") == []
    assert check("`unclosed code span and human error") != []
