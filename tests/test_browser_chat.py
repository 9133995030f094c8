"""In a real chromium: an analyst imports the incident channel's Slack export, filters its
messages, turns three into key events and dismisses one; the review's timeline shows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.chat import sample
from learnloop.chat.models import CandidateDecision, TimelineCandidate
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.reviews import services as reviews
from tests.conftest import World, log_in, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_analyst_turns_chat_messages_into_key_events(page: Any, world: World, tmp_path: Path):
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout 5xx",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 3, 5, 8),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    work = AnalysisAssignment.objects.get(incident=incident, analyst=world.alice)
    export = tmp_path / "acme-slack-export.zip"
    export.write_bytes(sample.write().data)

    log_in(page, world.alice.email)
    page.goto(f"/analysis/{work.pk}/")
    page.click("#chat summary")
    page.set_input_files("#chat_file", str(export))
    page.fill("#chat_channel", sample.CHANNEL[1])
    page.fill("#chat_workspace_url", "https://acme.slack.com")
    page.click("#chat-import-form button[type=submit]")
    page.wait_for_selector("#candidates")
    assert "388 messages added" in page.inner_text(".messages")

    # Only Bob's messages of the first morning.
    page.select_option("#candidates_person", "Bob Builder")
    page.fill("#candidates_until", "2026-03-05T12:00")
    page.click("#candidate-filters button[type=submit]")
    page.wait_for_url("**person=Bob+Builder**")
    rows = page.locator("#candidates tr[id^=candidate-]")
    shown = rows.count()
    assert shown >= 4
    assert all("Bob Builder" in rows.nth(i).inner_text() for i in range(shown))

    chosen = []
    # Each choice comes back to the same address: the next page is known by its one row less.
    for taken in (1, 2, 3):
        first = rows.first
        chosen.append(first.get_attribute("id"))
        first.locator("button", has_text="Key event").click()
        expect(rows).to_have_count(shown - taken)
        expect(page.locator(".messages")).to_contain_text(
            "Key event added from Bob Builder's message"
        )
        assert "person=Bob+Builder" in page.url  # the filters stay
    rows.first.locator("button", has_text="Dismiss").click()
    expect(rows).to_have_count(shown - 4)
    assert "person=Bob+Builder" in page.url

    events = KeyEvent.objects.filter(assignment=work).order_by("occurred_at")
    assert events.count() == 3
    assert all(e.actor_role == "Bob Builder" for e in events)
    assert all(
        e.evidence_url.startswith("https://acme.slack.com/archives/C0INCIDENT/p") for e in events
    )
    assert CandidateDecision.objects.filter(assignment=work, verdict="dismissed").count() == 1
    key_events_text = page.inner_text("#key-events")
    for event in events:
        assert event.description[:30] in key_events_text

    # The review's merged timeline tells them, as Alice's analysis.
    review = reviews.schedule(
        incident,
        world.payments_pm,
        starts_at=utc(2026, 3, 10, 14),
        ends_at=utc(2026, 3, 10, 15),
        votes_per_attendee=1,
        missing_reports_reason="The timeline is what this review is for",
    )
    page.goto(f"/reviews/{review.pk}/")
    timeline = page.inner_text("#step-understanding")
    for event in events:
        assert event.description[:30] in timeline
    assert timeline.count("Alice Analyst") >= 3
    assert TimelineCandidate.objects.filter(incident=incident).count() == 388
