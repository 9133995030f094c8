"""A product manager sets up the team's Slack channel in chromium, sends a test (the answer
appears in place), and sends an in-doubt delivery again from the narrative's deliveries page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.publishing.models import Delivery, DeliveryState, PublishChannel
from tests.conftest import World, log_in
from tests.fake_publishing import BODY, FakePublishing, publish
from tests.test_delivery import an_incident, work

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake(settings) -> Iterator[FakePublishing]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 2.0
    server = FakePublishing()
    yield server
    server.close()


def test_a_manager_sets_up_slack_tests_it_and_resends_an_in_doubt_post(
    page: Any, world: World, fake: FakePublishing
):
    log_in(page, world.payments_pm.email)
    page.click("nav >> text=Publishing")
    page.select_option("#id_kind", "slack")
    page.fill("#id_name", "#payments-incidents")
    page.click("#channel-form button")
    expect(page.locator("#channel-form")).to_contain_text(
        "Paste the incoming webhook URL Slack gave you."
    )
    page.fill("#id_secret", fake.slack_url)
    page.click("#channel-form button")
    expect(page.locator("#channels")).to_contain_text("#payments-incidents")
    assert "secret-token" not in page.content()

    channel = PublishChannel.objects.get()
    page.click(f"#channel-{channel.pk} >> text=Send a test")
    page.wait_for_selector(f"#test-{channel.pk} .badge.done")
    assert "Test sent. Slack answered ok." in page.inner_text(f"#test-{channel.pk}")
    assert len(fake.state.posts) == 1

    incident = an_incident(world)
    publish(incident, BODY)
    fake.state.faults = ["drop"]
    work()
    page.goto(f"/narratives/{incident.key}/deliveries/")
    expect(page.locator("#deliveries")).to_contain_text("In doubt")
    page.click("#deliveries >> text=Send again")
    expect(page.locator(".messages")).to_contain_text("Queued again for #payments-incidents")
    work()
    page.reload()
    expect(page.locator("#deliveries")).to_contain_text("Sent")
    assert Delivery.objects.get().state == DeliveryState.SENT
    assert len(fake.state.posts) == 3  # the test, the post in doubt, the one sent again
