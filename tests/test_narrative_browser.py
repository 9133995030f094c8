"""Two people write the narrative at once in chromium: the live preview and language check, and
a stale save refused with both texts while nothing is lost."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives.models import Narrative
from tests.conftest import World, log_in, utc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_editors_at_once_lose_nothing(page: Any, browser: Any, live_server: Any, world: World):
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    log_in(page, world.alice.email)
    page.goto(f"/incidents/{incident.key}/")
    page.click("#narrative a")
    page.click("text=Generate a draft from the incident and its review")
    expect(page.locator(".messages")).to_contain_text("generated as version 1")
    expect(page.locator("#preview-pane h2").first).to_have_text("What happened")
    expect(page.locator("#narrative-status")).to_contain_text("Draft")

    other = browser.new_context(base_url=live_server.url, timezone_id="UTC")
    bobs = other.new_page()
    bobs.set_default_timeout(10_000)
    log_in(bobs, world.bob.email)
    bobs.goto(f"/incidents/{incident.key}/narrative/")  # Bob opens version 1 too

    editor = page.locator("textarea[name=body]")
    editor.fill("# Checkout down\n\nThe pool was full. It was human error.\n\n<script>x</script>")
    expect(page.locator("#findings")).to_contain_text("“human error”")
    expect(page.locator("#preview-pane h1")).to_have_text("Checkout down")
    assert page.locator("#preview-pane script").count() == 0
    page.fill("input[name=note]", "shorter")
    page.click("text=Save as a new version")
    expect(page.locator(".messages")).to_contain_text("Saved as version 2")

    bobs.locator("textarea[name=body]").fill("Bob's own telling")
    bobs.click("text=Save as a new version")
    expect(bobs.locator("#conflict")).to_contain_text("Not saved: someone saved a newer version")
    expect(bobs.locator("#newer-text")).to_contain_text("It was human error.")
    expect(bobs.locator("#your-text")).to_have_text("Bob's own telling")
    expect(bobs.locator("textarea[name=body]")).to_have_value("Bob's own telling")
    bobs.click("text=Save as a new version")
    expect(bobs.locator(".messages")).to_contain_text("Saved as version 3")
    other.close()

    narrative = Narrative.objects.get()
    assert [v.body.splitlines()[0] for v in narrative.versions.all()] == [
        "## What happened",
        "# Checkout down",
        "Bob's own telling",
    ]
    page.goto(f"/incidents/{incident.key}/narrative/history/")
    page.click("text=Show the difference")
    expect(page.locator("#diff")).to_contain_text("Bob's own telling")
