"""The merged timeline, as plain unit tests over unsaved key events (no database needed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from hypothesis import given, settings
from hypothesis import strategies as st

from learnloop.analysis.models import AnalysisAssignment, KeyEvent, Precision
from learnloop.lib.text import STEMMED_TEXTS, stems
from learnloop.reviews.timeline import (
    DIFFERENT_TIMES,
    IMPORTED_SOURCE,
    LAYOUTS,
    SAME_MOMENT,
    MergedTimeline,
    merge,
    time_label,
)
from tests.conftest import utc

_ids = iter(range(1, 1_000_000))


def teller(name: str, email: str = "") -> AnalysisAssignment:
    first, _, last = name.partition(" ")
    number = next(_ids)
    analyst = User(pk=number, first_name=first, last_name=last, email=email or f"{number}@x.test")
    return AnalysisAssignment(pk=number, analyst=analyst)


def told(
    by: AnalysisAssignment | None,
    description: str,
    at: datetime | None,
    position: int,
    precision: str = Precision.MINUTE,
) -> KeyEvent:
    if at is None:
        precision = Precision.UNKNOWN
    return KeyEvent(
        pk=next(_ids),
        assignment=by,
        description=description,
        occurred_at=at,
        precision=precision,
        position=position,
    )


def descriptions(events: list[KeyEvent] | tuple[object, ...]) -> list[str]:
    merged = merge(events)  # type: ignore[arg-type]
    return [entry.event.description for entry in merged.entries]


def test_it_puts_every_tellers_events_in_one_time_order_keeping_who_told_them() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Deploy of checkout 4.2", utc(2026, 5, 3, 14, 0), 1),
        told(alice, "Pager fires for checkout latency", utc(2026, 5, 3, 14, 20), 2),
        told(bob, "Customers report failed payments", utc(2026, 5, 3, 14, 10), 1),
        told(None, "Status page updated", utc(2026, 5, 3, 14, 30), 1),
    ]
    merged = merge(events)
    assert [(e.event.description, e.source) for e in merged.entries] == [
        ("Deploy of checkout 4.2", "Alice Able"),
        ("Customers report failed payments", "Bob Baker"),
        ("Pager fires for checkout latency", "Alice Able"),
        ("Status page updated", IMPORTED_SOURCE),
    ]
    assert merged.groups == ()
    assert all(entry.group is None for entry in merged.entries)


def test_the_source_is_the_email_when_the_analyst_has_no_name() -> None:
    nameless = teller("", "nameless@acme.test")
    merged = merge([told(nameless, "Something happened", utc(2026, 5, 3, 9, 0), 1)])
    assert merged.entries[0].source == "nameless@acme.test"


def test_imprecise_times_sort_by_the_time_told_and_keep_their_precision() -> None:
    alice, bob, carol = teller("Alice Able"), teller("Bob Baker"), teller("Carol Cole")
    hour = told(alice, "Queue depth grows", utc(2026, 5, 3, 14, 40), 1, Precision.HOUR)
    day = told(bob, "Capacity review postponed", utc(2026, 5, 3, 18, 0), 1, Precision.DAY)
    approx = told(carol, "Engineer notices slow graphs", utc(2026, 5, 3, 14, 20), 1, "approximate")
    exact = told(alice, "Failover started", utc(2026, 5, 3, 13, 55), 2)
    merged = merge([hour, day, approx, exact])
    # A day sits at its midnight, an hour at its start, an approximate time at the time told.
    assert [e.event for e in merged.entries] == [day, exact, hour, approx]
    assert [e.when for e in merged.entries] == [
        "on 3 May 2026",
        "3 May 2026, 13:55",
        "3 May 2026, about 14:00",
        "3 May 2026, about 14:20",
    ]
    assert [e.event.precision for e in merged.entries] == ["day", "minute", "hour", "approximate"]


def test_about_a_time_is_told_after_an_earlier_exact_time() -> None:
    """A real report's "about 18:47" came before its "18:45" when windows were sorted by their
    opening."""
    imported = teller("Imported")
    events = [
        told(imported, "Second responder joins", utc(2020, 1, 1, 18, 47), 1, "approximate"),
        told(imported, "Page acknowledged", utc(2020, 1, 1, 18, 45), 2),
    ]
    assert [e.when for e in merge(events).entries] == [
        "1 Jan 2020, 18:45",
        "1 Jan 2020, about 18:47",
    ]


def test_events_without_a_time_follow_every_timed_one_in_their_tellers_order() -> None:
    """An untimed event has no time to sit at: placed between timed ones it would seem to."""
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(bob, "Bob's first timed event", utc(2026, 5, 3, 8, 0), 1),
        told(alice, "Rollback", utc(2026, 5, 3, 15, 0), 4),
        told(alice, "Alice asks in the channel", None, 3),
        told(alice, "Config drift had built up", None, 1),
        told(alice, "Alert fires", utc(2026, 5, 3, 14, 0), 2),
        told(bob, "Nobody owned the cron job", None, 2),
    ]
    assert descriptions(events) == [
        "Bob's first timed event",
        "Alert fires",
        "Rollback",
        "Config drift had built up",
        "Alice asks in the channel",
        "Nobody owned the cron job",
    ]
    assert [e.when for e in merge(events).entries][3:] == ["time unknown"] * 3


def test_the_same_moment_told_differently_is_grouped_and_nothing_is_dropped() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Checkout database failover started by the on-call", utc(2026, 5, 3, 14, 2), 1),
        told(bob, "Database failover kicked off for checkout", utc(2026, 5, 3, 14, 5), 1),
        told(bob, "Unrelated customer email sent", utc(2026, 5, 3, 14, 4), 2),
    ]
    merged = merge(events)
    assert len(merged.entries) == 3
    assert len(merged.groups) == 1
    group = merged.groups[0]
    assert group.number == 1
    assert group.kind == SAME_MOMENT
    assert group.reason == "Alice Able and Bob Baker tell this moment differently"
    assert {e.event.description for e in group.entries} == {
        "Checkout database failover started by the on-call",
        "Database failover kicked off for checkout",
    }
    grouped = {e.event.description: e.group for e in merged.entries}
    assert grouped["Unrelated customer email sent"] is None


def test_an_hour_precision_event_meets_a_minute_event_inside_its_hour() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Payments API returns errors", utc(2026, 5, 3, 14, 0), 1, Precision.HOUR),
        told(bob, "Errors from the payments API", utc(2026, 5, 3, 14, 48), 1),
    ]
    (group,) = merge(events).groups
    assert group.kind == SAME_MOMENT


def test_the_same_happening_at_different_times_is_flagged_with_how_far_apart() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Rolled back the checkout deploy", utc(2026, 5, 3, 14, 10), 1),
        told(bob, "Rolling back checkout deploy", utc(2026, 5, 3, 14, 35), 1),
    ]
    (group,) = merge(events).groups
    assert group.kind == DIFFERENT_TIMES
    assert group.reason == "Alice Able and Bob Baker place this 25 minutes apart"


def test_imprecise_times_far_apart_say_at_least() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Rolled back the checkout deploy", utc(2026, 5, 3, 14, 0), 1, Precision.HOUR),
        told(bob, "Rolled back the checkout deploy", utc(2026, 5, 3, 17, 30), 1),
    ]
    (group,) = merge(events).groups
    assert group.kind == DIFFERENT_TIMES
    assert group.reason == "Alice Able and Bob Baker place this at least 2 hours apart"


def test_related_words_far_apart_in_time_are_not_grouped() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Checkout latency alert fires", utc(2026, 5, 3, 9, 0), 1),
        told(bob, "Checkout latency dashboard reviewed in the retro", utc(2026, 5, 4, 9, 0), 1),
    ]
    assert merge(events).groups == ()


def test_one_tellers_own_similar_events_are_not_a_disagreement() -> None:
    alice = teller("Alice Able")
    events = [
        told(alice, "Restarted the checkout pods", utc(2026, 5, 3, 14, 0), 1),
        told(alice, "Restarted the checkout pods", utc(2026, 5, 3, 15, 0), 2),
    ]
    assert merge(events).groups == ()


def test_a_group_holds_each_tellers_closest_event_only() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    first = told(alice, "Flushed the checkout cache", utc(2026, 5, 3, 14, 0), 1)
    again = told(alice, "Flushed the checkout cache again after errors", utc(2026, 5, 3, 14, 4), 2)
    other = told(bob, "Flushed the checkout cache", utc(2026, 5, 3, 14, 3), 1)
    merged = merge([first, again, other])
    (group,) = merged.groups
    assert [e.event for e in group.entries] == [first, other]
    assert merged.entries[2].event is again and merged.entries[2].group is None


def test_an_imported_report_can_disagree_with_an_analyst() -> None:
    alice = teller("Alice Able")
    events = [
        told(None, "Feature flag enabled for all customers", utc(2026, 5, 3, 13, 0), 1),
        told(alice, "Feature flag enabled for all customers", utc(2026, 5, 3, 13, 40), 1),
    ]
    (group,) = merge(events).groups
    assert group.reason == "Imported report and Alice Able place this 40 minutes apart"


def test_untimed_events_are_never_grouped() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Restarted the checkout pods", None, 1),
        told(bob, "Restarted the checkout pods", utc(2026, 5, 3, 14, 0), 1),
    ]
    assert merge(events).groups == ()


def test_groups_are_numbered_in_timeline_order_and_entries_carry_the_number() -> None:
    alice, bob, carol = teller("Alice Able"), teller("Bob Baker"), teller("Carol Cole")
    events = [
        told(alice, "Cache cluster evicted hot keys", utc(2026, 5, 3, 16, 0), 2),
        told(bob, "Cache cluster evicted hot keys", utc(2026, 5, 3, 16, 50), 2),
        told(alice, "Certificate rotation job ran", utc(2026, 5, 3, 10, 0), 1),
        told(bob, "Certificate rotation job ran early", utc(2026, 5, 3, 10, 1), 1),
        told(carol, "The certificate rotation job ran", utc(2026, 5, 3, 10, 3), 1),
    ]
    merged = merge(events)
    assert [(g.number, g.kind, len(g.entries)) for g in merged.groups] == [
        (1, SAME_MOMENT, 3),
        (2, DIFFERENT_TIMES, 2),
    ]
    assert (
        merged.groups[0].reason
        == "Alice Able, Bob Baker and Carol Cole tell this moment differently"
    )
    assert [e.group for e in merged.entries] == [1, 1, 1, 2, 2]


def test_words_ignore_case_filler_and_simple_endings() -> None:
    assert stems("The Payments were FAILING for 10 minutes") == {"payment", "fail", "10", "minut"}
    assert stems("rolled back") == stems("rolling back") == stems("Rolls back")


def test_a_text_s_stems_are_kept_for_the_next_merge_within_a_bound() -> None:
    """A review merged again after one change finds its other events' stems kept."""
    text = "Rolled back the payments deploy after 12 minutes"
    first = stems(text)
    assert stems(text) is first  # kept, not stemmed again
    assert stems.cache_info().maxsize == STEMMED_TEXTS
    for n in range(STEMMED_TEXTS):
        stems(f"other text {n}")
    assert stems(text) == first and stems(text) is not first  # pushed out, stemmed alike


def test_time_labels_follow_the_precision() -> None:
    at = utc(2026, 5, 3, 14, 7)
    assert time_label(at, Precision.MINUTE) == "3 May 2026, 14:07"
    assert time_label(at, Precision.HOUR) == "3 May 2026, about 14:00"
    assert time_label(at, Precision.DAY) == "on 3 May 2026"
    assert time_label(at, Precision.APPROXIMATE) == "3 May 2026, about 14:07"
    assert time_label(None, Precision.MINUTE) == "time unknown"
    assert time_label(at, Precision.UNKNOWN) == "time unknown"


def test_five_analysts_and_two_thousand_events_merge_with_every_event_kept() -> None:
    tellers = [teller(f"Analyst {n}") for n in range(5)]
    vocabulary = [
        "checkout", "payments", "database", "failover", "cache", "latency", "alert", "deploy",
        "rollback", "queue", "worker", "certificate", "customer", "timeout", "retry", "dns",
    ]  # fmt: skip
    start = utc(2026, 5, 3, 8, 0)
    events = []
    for n in range(2000):
        who = tellers[n % 5]
        words_used = " ".join(vocabulary[(n * k) % len(vocabulary)] for k in (1, 3, 7))
        at = None if n % 17 == 0 else start + timedelta(minutes=n % 400)
        precision = [Precision.MINUTE, Precision.HOUR, Precision.APPROXIMATE][n % 3]
        events.append(told(who, f"{words_used} step {n // 5}", at, n, precision))
    merged = merge(events)
    assert len(merged.entries) == 2000
    assert len({id(e.event) for e in merged.entries}) == 2000
    for group in merged.groups:
        sources = [e.source for e in group.entries]
        assert len(set(sources)) == len(sources) >= 2


def test_the_same_words_at_the_same_time_are_grouped_to_confirm_not_merged() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Paged the database on-call", utc(2026, 5, 3, 14, 0), 1),
        told(bob, "Paged the  database on-call", utc(2026, 5, 3, 14, 1), 1),
    ]
    merged = merge(events)
    (group,) = merged.groups
    assert len(merged.entries) == 2
    assert group.reason == (
        "Alice Able and Bob Baker tell this moment in the same words; check it is the same moment"
    )


def shape(merged: MergedTimeline) -> tuple[object, ...]:
    """Everything a merge decided, by the events' ids: comparable between two merges."""
    return (
        [(e.event.pk, e.source, e.group) for e in merged.entries],
        [(g.number, g.kind, g.reason, [e.event.pk for e in g.entries]) for g in merged.groups],
    )


def retold(event: KeyEvent, **changes: object) -> KeyEvent:
    """The same key event read again (a new instance, the same id), with these changes."""
    values = {
        "pk": event.pk,
        "assignment": event.assignment,
        "description": event.description,
        "occurred_at": event.occurred_at,
        "precision": event.precision,
        "position": event.position,
        **changes,
    }
    return KeyEvent(**values)


def test_a_merge_of_the_same_events_read_again_is_kept_and_holds_the_new_instances() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Database failover started", utc(2026, 5, 3, 14, 0), 1),
        told(bob, "Database failover started by hand", utc(2026, 5, 3, 14, 2), 1),
    ]
    first = merge(events)
    again = [retold(event) for event in events]
    second = merge(again)
    assert shape(second) == shape(first)
    assert [e.event for e in second.entries] == again
    assert all(a is b for a, b in zip((e.event for e in second.entries), again, strict=True))


def test_a_kept_merge_is_never_used_once_an_event_or_its_teller_changed() -> None:
    alice, bob = teller("Alice Able"), teller("Bob Baker")
    events = [
        told(alice, "Database failover started", utc(2026, 5, 3, 14, 0), 1),
        told(bob, "Database failover started", utc(2026, 5, 3, 14, 2), 1),
    ]
    assert merge(events).groups[0].kind == SAME_MOMENT
    reworded = [events[0], retold(events[1], description="Customers complain on the forum")]
    assert merge(reworded).groups == ()
    later = [events[0], retold(events[1], occurred_at=utc(2026, 5, 3, 16, 0))]
    assert merge(later).groups[0].kind == DIFFERENT_TIMES
    untimed = [events[0], retold(events[1], occurred_at=None, precision=Precision.UNKNOWN)]
    assert merge(untimed).groups == ()
    namesake = teller("Bob Baker")  # another analysis by someone of the same name
    by_two = [retold(events[0], assignment=bob), retold(events[1], assignment=namesake)]
    assert len(merge(by_two).groups) == 1
    by_one = [by_two[0], retold(by_two[1], assignment=bob)]  # one teller tells it twice
    assert merge(by_one).groups == ()
    assert bob.analyst is not None
    bob.analyst.first_name = "Robert"
    assert "Robert Baker" in merge(events).groups[0].reason


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2),
            st.lists(
                st.sampled_from(["database", "failover", "cache", "paged", "deploy"]),
                min_size=1,
                max_size=3,
            ),
            st.one_of(st.none(), st.integers(0, 180)),
            st.sampled_from([Precision.MINUTE, Precision.HOUR, Precision.APPROXIMATE]),
        ),
        min_size=1,
        max_size=12,
    ),
    st.data(),
)
def test_a_kept_merge_always_equals_a_merge_made_afresh(rows: list[Any], data: Any) -> None:
    tellers = [teller("Alice Able"), teller("Bob Baker"), teller("Carol Chen")]
    start = utc(2026, 5, 3, 14, 0)
    events = [
        told(
            tellers[who],
            " ".join(words),
            None if at is None else start + timedelta(minutes=at),
            n,
            precision,
        )
        for n, (who, words, at, precision) in enumerate(rows)
    ]
    merge(events)  # kept
    changed = data.draw(st.integers(0, len(events) - 1))
    field, value = data.draw(
        st.sampled_from(
            [
                ("description", "paged the database"),
                ("occurred_at", start + timedelta(minutes=7)),
                ("position", 99),
                ("precision", Precision.HOUR),
                ("assignment", tellers[(rows[changed][0] + 1) % 3]),
            ]
        )
    )
    read_again = [
        retold(event, **({field: value} if n == changed else {})) for n, event in enumerate(events)
    ]
    warm = shape(merge(read_again))
    LAYOUTS.kept.clear()
    assert warm == shape(merge(read_again))
