"""Two people in the same review workspace, each in their own browser: what one proposes appears
for the other without a reload, and votes stop at the review's allowance."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from learnloop.analysis.services import save_report
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.reviews import services
from learnloop.reviews.models import Review
from tests.conftest import World, log_in, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def a_review(world: World) -> Review:
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    for assignment in incident.assignments.all():
        save_report(assignment, f"What {assignment.analyst.first_name} saw", submit=True)
    return services.schedule(
        incident,
        world.payments_pm,
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        votes_per_attendee=1,
    )


def test_a_learning_proposed_by_one_appears_for_the_other_and_votes_are_limited(
    page: Any, second_page: Any, world: World
):
    review = a_review(world)
    alice, bob = page, second_page
    log_in(alice, world.alice.email)
    log_in(bob, world.bob.email)
    for person in (alice, bob):
        person.goto(f"/reviews/{review.pk}/")
        person.wait_for_selector("#step-learnings-body")
    # A marker that a full reload would wipe out.
    bob.evaluate("window.stillTheSamePage = true")

    alice.fill("#learning_text", "Alerts need an owner")
    alice.click("#learning-form button[type=submit]")
    alice.locator("#step-learnings-body").get_by_text("Alerts need an owner").wait_for()
    assert alice.input_value("#learning_text") == ""

    first = bob.locator("#step-learnings-body li.learning", has_text="Alerts need an owner")
    first.wait_for()
    assert bob.evaluate("window.stillTheSamePage") is True

    first.get_by_role("button", name="Vote").click()
    bob.locator("#step-learnings-body", has_text="You have 0 of 1 vote left").wait_for()
    alice.locator("li.learning", has_text="Alerts need an owner").get_by_text("1 vote").wait_for()

    alice.fill("#learning_text", "Runbooks drift from the system")
    alice.click("#learning-form button[type=submit]")
    second = bob.locator("#step-learnings-body li.learning", has_text="Runbooks drift")
    second.wait_for()
    second.get_by_role("button", name="Vote").click()
    bob.get_by_role("alert").filter(has_text="used all 1 of your votes").wait_for()
    assert second.get_by_text("0 votes").is_visible()

    # Taking the vote back frees it for the other learning.
    bob.locator("li.learning", has_text="Alerts need an owner").get_by_role(
        "button", name="Take my vote back"
    ).click()
    bob.locator("#step-learnings-body", has_text="You have 1 of 1 vote left").wait_for()
    bob.locator("li.learning", has_text="Runbooks drift").get_by_role("button", name="Vote").click()
    bob.locator("li.learning", has_text="Runbooks drift").get_by_text("1 vote").wait_for()
    assert bob.evaluate("window.stillTheSamePage") is True
    ranked = bob.locator("#step-learnings-body li.learning")
    assert "Runbooks drift" in ranked.nth(0).inner_text()
