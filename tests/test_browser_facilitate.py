"""In a real chromium: the facilitator runs the review from start to held, step by step, while a
participant's page follows the room's step live."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.reviews.models import Review
from tests.conftest import World, log_in
from tests.test_facilitation import a_review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_facilitator_runs_the_review_from_start_to_held(
    page: Any, browser: Any, live_server: Any, world: World
):
    review = a_review(world)
    log_in(page, world.payments_pm.email)
    page.goto(f"/reviews/{review.pk}/")
    page.click("text=Facilitate: start the review")
    page.click("text=Start the review")
    expect(page.locator("#facilitate-step h2")).to_have_text("Step 1 of 6: Reports")
    expect(page.locator(".timer")).to_contain_text("left")  # the countdown runs

    other = browser.new_context(base_url=live_server.url, timezone_id="UTC")
    alice = other.new_page()
    log_in(alice, world.alice.email)
    alice.goto(f"/reviews/{review.pk}/")
    expect(alice.locator("#live-status")).to_contain_text("step 1 of 6: Reports")

    for number, title in enumerate(
        ["Shared understanding", "Perspectives", "Contributing factors", "Learnings", "Narrative"],
        start=2,
    ):
        page.click(f"text=Next: step {number}")
        expect(page.locator("#facilitate-step h2")).to_have_text(f"Step {number} of 6: {title}")
    expect(alice.locator("#live-status")).to_contain_text("step 6 of 6: Narrative", timeout=15_000)

    page.locator("#facilitate-finish input[name=attended]").nth(1).uncheck()
    page.click("text=Finish: the review is held")
    expect(page.locator("#review-outcome")).to_contain_text("What the session produced")
    review.refresh_from_db()
    assert review.status == "held"
    assert review.invitees.filter(attended=True).count() == review.invitees.count() - 1
    expect(alice.locator("#live-status")).to_contain_text("held", timeout=15_000)
    other.close()
    assert Review.objects.get(pk=review.pk).held_at is not None
