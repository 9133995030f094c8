"""The portal in chromium: hostile Markdown runs nothing, filters apply as they change, slides
move with the keyboard, and the static site works opened from disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from learnloop.cli import main
from tests.conftest import World, log_in, utc
from tests.test_portal_helpers import published_narrative

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE = """## Summary

<script>window.pwned = "script"; alert("script")</script>

<img src=x onerror="window.pwned = 'img'; alert('img')">

<svg onload="window.pwned = 'svg'">

[click me](javascript:window.pwned='link';alert('link'))

<a href="javascript:window.pwned='raw'">raw link</a>
"""


def test_script_in_markdown_does_not_execute(page: Any, world: World):
    narrative = published_narrative(world.org, "Hostile narrative", HOSTILE)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, world.member.email)

    for address in (
        f"/narratives/{narrative.incident.key}/",
        f"/narratives/{narrative.incident.key}/present/",
    ):
        page.goto(address)
        page.wait_for_load_state("load")
        # Follow every link there is, hidden slides included: none may run anything.
        clicked = page.eval_on_selector_all(
            "#narrative-body a, .slide a", "links => links.map(a => (a.click(), a.href))"
        )
        assert not [href for href in clicked if href.startswith("javascript:")]
        assert page.evaluate("typeof window.pwned") == "undefined"
    assert dialogs == []
    page.goto(f"/narratives/{narrative.incident.key}/")
    assert (
        page.locator("#narrative-body script, #narrative-body img, #narrative-body svg").count()
        == 0
    )
    # Shown as text, never run:
    expect(page.locator("#narrative-body")).to_contain_text("window.pwned")

    # Were anything to slip past the sanitiser, the page's policy still refuses inline handlers:
    # the image's own onerror attribute would run before the listener added here.
    fired = page.evaluate(
        """() => new Promise(resolve => {
            const img = document.createElement("img");
            img.setAttribute("onerror", "window.pwned = 'handler'");
            img.addEventListener("error", () => resolve(typeof window.pwned));
            img.src = "/missing.png";
            document.body.append(img);
        })"""
    )
    assert fired == "undefined"


def test_a_member_filters_then_reads_and_the_team_sees_the_reader(page: Any, world: World):
    cards = published_narrative(world.org, "Card declines", team=world.payments)
    published_narrative(
        world.org, "Slow search", "## Summary\n\nThe index rebuilt.\n", team=world.search
    )
    log_in(page, world.member.email)
    page.click("nav >> text=Narratives")
    page.wait_for_url("**/narratives/")
    page.wait_for_load_state("load")  # htmx (deferred) now listens to the filters
    assert page.locator("#narratives tr").count() == 3

    page.select_option("select[name=team]", "search")
    page.wait_for_url("**team=search**")
    page.locator("#narratives >> text=Card declines").wait_for(state="detached")
    assert page.locator("#narratives tr").count() == 2
    page.fill("#id_q", "certificate")
    page.select_option("select[name=team]", "")
    page.wait_for_url("**q=certificate**")
    page.locator("#narratives >> text=Card declines").wait_for()
    assert page.locator("#narratives tr").count() == 2

    page.click("text=Card declines")
    assert page.inner_text("#revision").startswith("Revision 1, published 2 November 2026")
    assert page.locator("#readership").count() == 0

    page.context.clear_cookies()
    log_in(page, world.alice.email)
    page.goto(f"/narratives/{cards.incident.key}/")
    assert page.inner_text("#unique-readers") == "2"  # the member, then alice herself
    page.click("text=Who read it")
    expect(page.locator("#readers")).to_contain_text("Mo Member")


def test_slides_move_with_the_keyboard(page: Any, world: World):
    narrative = published_narrative(world.org, "Card declines", published_at=utc(2026, 11, 2))
    log_in(page, world.member.email)
    page.goto(f"/narratives/{narrative.incident.key}/")
    page.click("text=Present as slides")
    page.wait_for_selector("html.js .slide.current")  # the keys' script has started
    counter = page.locator("#slide-counter")
    assert counter.inner_text() == "1 / 4"
    assert page.locator(".slide:visible").count() == 1
    assert page.inner_text(".slide:visible h1") == "Card declines"

    page.keyboard.press("ArrowRight")
    assert counter.inner_text() == "2 / 4"
    assert page.inner_text(".slide:visible h2") == "Summary"
    page.keyboard.press("PageDown")
    assert page.inner_text(".slide:visible h2") == "How we got here"
    page.keyboard.press("End")
    assert counter.inner_text() == "4 / 4"
    page.keyboard.press("ArrowRight")
    assert counter.inner_text() == "4 / 4"
    page.keyboard.press("PageUp")
    assert counter.inner_text() == "3 / 4"
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    assert counter.inner_text() == "1 / 4"

    page.emulate_media(media="print")
    assert page.locator(".slide:visible").count() == 4
    assert page.locator("#slide-counter:visible").count() == 0


def test_the_static_site_works_opened_from_disk(page: Any, world: World, tmp_path: Path):
    cards = published_narrative(world.org, "Card declines", team=world.payments)
    published_narrative(world.org, "Slow search", "## Summary\n\nThe index rebuilt.\n")
    assert main(["publish-site", str(tmp_path), "--org", "acme"]) == 0

    page.goto((tmp_path / "index.html").as_uri())
    assert page.locator("#narratives tr").count() == 3
    page.click("text=Card declines")
    expect(page.locator("article")).to_contain_text("certificate expired")
    assert page.url.endswith(f"/narratives/{cards.incident.key}.html")
    background = page.evaluate(
        "getComputedStyle(document.querySelector('header.site')).backgroundColor"
    )
    assert background == "rgb(36, 59, 83)"  # the copied stylesheet loaded
    page.click("text=All narratives")
    page.wait_for_url("**/index.html")


def test_a_member_finds_a_service_among_hundreds_by_typing(page: Any, world: World):
    from learnloop.accounts.models import Service
    from learnloop.lib.widgets import LISTED

    Service.objects.bulk_create(
        Service(organisation=world.org, name=f"Ledger {n:03}", slug=f"ledger-{n:03}")
        for n in range(2 * LISTED)
    )
    ledger = Service.objects.get(slug="ledger-142")
    published_narrative(world.org, "Ledger drift", team=world.payments, service=ledger)
    published_narrative(world.org, "Card declines", team=world.payments)
    log_in(page, world.member.email)
    page.goto("/narratives/")
    page.wait_for_load_state("load")
    box = page.locator("input[name=service]")
    box.click()
    box.press_sequentially("ledger 14", delay=30)
    suggestions = page.locator("#id_service-names option")
    expect(suggestions).to_have_count(10)
    assert suggestions.first.get_attribute("value") == "ledger-140"
    assert suggestions.nth(2).inner_text() == "Ledger 142"
    box.fill("ledger-142")
    box.press("Enter")
    page.wait_for_url("**service=ledger-142**")
    page.locator("#narratives >> text=Card declines").wait_for(state="detached")
    expect(page.locator("#narratives")).to_contain_text("Ledger drift")
