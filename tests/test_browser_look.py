"""The main pages as people see them, in a real chromium, on the demo organisation: each is
checked with axe-core (no violation of impact serious or critical), none scrolls sideways on a
390 px phone, the menu opens there, and a screenshot of each at 1366 and 390 px is written to
LEARNLOOP_SCREENSHOTS (`make test` names the folder at the end)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnloop.analysis.models import AnalysisAssignment
from learnloop.demo import seed
from learnloop.incidents.models import Incident
from learnloop.reviews.models import Review
from tests.conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 390)


def pages() -> list[tuple[str, str, Callable[[], str]]]:
    """(name, who, address) for every main page; addresses found once the demo exists."""

    def outage() -> Incident:
        return Incident.objects.get(title__startswith="Tracking pages showed parcels")

    def reviewed() -> Review:
        held = Review.objects.filter(status="held", incident__narrative__status="published")
        return held.order_by("-starts_at").first() or Review.objects.get()

    def workspace() -> str:
        work = AnalysisAssignment.objects.get(incident=outage(), analyst__email__startswith="amara")
        return f"/analysis/{work.pk}/"

    return [
        ("home-admin", "admin", lambda: "/"),
        ("home-product-manager", "pm.tracking", lambda: "/"),
        ("home-responder", "amara", lambda: "/"),
        ("home-member", "reader", lambda: "/"),
        ("incidents", "pm.tracking", lambda: "/incidents/"),
        ("incident", "pm.tracking", lambda: f"/incidents/{outage().key}/"),
        ("analysis-workspace", "amara", workspace),
        ("review", "admin", lambda: f"/reviews/{reviewed().pk}/"),
        ("review-timeline", "admin", lambda: f"/reviews/{reviewed().pk}/timeline/"),
        ("review-facilitate", "admin", lambda: f"/reviews/{reviewed().pk}/facilitate/"),
        ("narrative-editor", "pm.tracking", lambda: f"/incidents/{outage().key}/narrative/"),
        ("portal", "reader", lambda: "/narratives/"),
        ("portal-narrative", "reader", lambda: f"/narratives/{reviewed().incident.key}/"),
        ("backlog", "pm.tracking", lambda: "/teams/tracking/backlog/"),
        ("costs", "pm.tracking", lambda: "/teams/tracking/costs/"),
        ("organisation-costs", "admin", lambda: "/costs/"),
        ("measures", "pm.tracking", lambda: "/measures/"),
        ("themes", "pm.tracking", lambda: "/themes/"),
        ("search", "pm.tracking", lambda: "/search/?q=cache"),
        ("settings", "admin", lambda: "/settings/"),
    ]


@pytest.fixture
def demo(live_server: Any) -> dict[str, str]:
    """The demo organisation, and each person's password by the start of their email."""
    return {email.split("@")[0]: password for email, _, password in seed()}


def sign_in(browser: Any, live_server: Any, who: str, password: str, width: int) -> Any:
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 900},
        timezone_id="UTC",
        bypass_csp=True,  # axe-core is injected as a script; the pages' own policy forbids that
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login/")
    page.fill("#id_username", f"{who}@demo.learnloop")
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")
    return page


def serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    problems = []
    for violation in found:
        if violation["impact"] in ("serious", "critical"):
            where = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            problems.append(f"{violation['id']} ({violation['impact']}): {where}")
    return problems


def test_the_main_pages_are_accessible_fit_a_phone_and_are_photographed(
    browser: Any, live_server: Any, demo: dict[str, str]
):
    assert AXE.exists(), "axe-core is missing: make test installs it (tests/axe)"
    folder = Path(os.environ.get("LEARNLOOP_SCREENSHOTS") or ROOT / "var" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    sessions: dict[tuple[str, int], Any] = {}
    try:
        for name, who, address in pages():
            url = address()
            for width in WIDTHS:
                key = (who, width)
                if key not in sessions:
                    sessions[key] = sign_in(browser, live_server, who, demo[who], width)
                page = sessions[key]
                answer = page.goto(url)
                assert answer.status == 200, f"{name}: {url} answered {answer.status}"
                page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
                if width == 390:
                    root = "document.documentElement"
                    wide = page.evaluate(f"{root}.scrollWidth - {root}.clientWidth")
                    if wide > 0:
                        problems.append(f"{name} at 390 px scrolls sideways by {wide} px")
                problems += [f"{name} at {width} px: {p}" for p in serious(page)]
    finally:
        for page in sessions.values():
            page.context.close()
    assert not problems, json.dumps(problems, indent=1)


def test_the_menu_opens_on_a_phone(browser: Any, live_server: Any, demo: dict[str, str]):
    page = sign_in(browser, live_server, "reader", demo["reader"], 390)
    try:
        assert not page.is_visible("#main-nav")
        page.click("label.menu-button")
        assert page.is_visible("#main-nav >> text=Narratives")
        page.click("#main-nav >> text=Narratives")
        page.wait_for_url("**/narratives/")
    finally:
        page.context.close()
    wide = sign_in(browser, live_server, "reader", demo["reader"], 1366)
    try:
        assert wide.is_visible("#main-nav") and not wide.is_visible("label.menu-button")
    finally:
        wide.context.close()


def test_each_role_walks_from_their_home_to_the_work(
    browser: Any, live_server: Any, demo: dict[str, str]
):
    """A count or an item on each home leads to where the work is done."""
    walks = [
        ("amara", "#home-analysis li a", "**/analysis/*/"),
        ("pm.tracking", "#home-reviews_to_schedule li a", "**/review/schedule/"),
        ("pm.tracking", "#team-cost a", "**/teams/tracking/costs/"),
        ("admin", "#organisation-costs a", "**/costs/"),
        ("reader", "#home-published li a", "**/narratives/*/"),
    ]
    for who, link, lands in walks:
        page = sign_in(browser, live_server, who, demo[who], 1366)
        try:
            page.locator(link).first.click()
            page.wait_for_url(lands)
            assert page.locator("h1").count() == 1
        finally:
            page.context.close()
