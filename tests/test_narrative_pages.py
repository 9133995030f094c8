"""The narrative's pages: who sees and edits drafts, the editor's stale-save refusal with both
texts, the sanitised preview with its language findings, history, diff, status and publishing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives import services
from learnloop.narratives.models import Narrative, NarrativeStatus
from learnloop.reviews.models import Review
from tests.conftest import World, utc

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(world: World) -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )


def url(name: str, incident: Incident, **kwargs: object) -> str:
    return reverse(name, kwargs={"key": incident.key, **kwargs})


def save(client, incident: Incident, body: str, base: int, note: str = ""):
    return client.post(
        url("narrative_edit", incident), {"body": body, "base_version": base, "note": note}
    )


def test_drafts_are_seen_by_the_team_analysts_and_managers_only(world: World, incident):
    services.save_version(services.narrative_for(incident), "Draft text", world.alice, 0)
    for person in (world.alice, world.bob, world.payments_pm, world.problem_manager, world.admin):
        page = world.client_for(person).get(url("narrative_edit", incident))
        assert page.status_code == 200, person.email
        assert "Draft text" in page.content.decode()
    for person in (world.member, world.carol, world.search_pm, world.outsider):
        assert world.client_for(person).get(url("narrative_edit", incident)).status_code == 404
        assert world.client_for(person).get(url("narrative_history", incident)).status_code == 404
        response = save(world.client_for(person), incident, "Mine", 1)
        assert response.status_code == 404, person.email
    assert Narrative.objects.get().versions.count() == 1


def test_the_reviews_facilitator_edits_and_publishes(world: World, incident):
    Review.objects.create(
        incident=incident,
        starts_at=utc(2026, 11, 5, 14),
        ends_at=utc(2026, 11, 5, 15),
        facilitator=world.search_pm,
    )
    client = world.client_for(world.search_pm)
    assert save(client, incident, "Told by the facilitator", 0).status_code == 302
    client.post(url("narrative_status", incident), {"status": "in_review"})
    assert client.post(url("narrative_publish", incident)).status_code == 302
    assert Narrative.objects.get().status == NarrativeStatus.PUBLISHED


def test_the_incident_page_links_to_the_narrative_for_those_who_may_see_it(world: World, incident):
    link = url("narrative_edit", incident)
    page = world.client_for(world.alice).get(reverse("incident_detail", args=[incident.key]))
    assert f'href="{link}"' in page.content.decode()
    page = world.client_for(world.member).get(reverse("incident_detail", args=[incident.key]))
    assert page.status_code == 200 and link not in page.content.decode()


def test_every_save_is_a_version_and_a_stale_save_shows_both_texts(world: World, incident):
    alice, bob = world.client_for(world.alice), world.client_for(world.bob)
    page = alice.get(url("narrative_edit", incident))
    assert 'name="base_version" value="0"' in page.content.decode()
    assert save(alice, incident, "First <b>text</b>", 0, "start").status_code == 302
    assert save(bob, incident, "Bob's newer text", 1).status_code == 302

    refused = save(alice, incident, "Alice's own text", 1)
    html = refused.content.decode()
    assert refused.status_code == 409
    assert "Not saved: someone saved a newer version" in html
    assert re.search(r'<pre id="newer-text">Bob&#x27;s newer text</pre>', html)
    assert re.search(r'<pre id="your-text">Alice&#x27;s own text</pre>', html)
    assert re.search(r"<textarea[^>]*>Alice&#x27;s own text</textarea>", html)
    assert 'name="base_version" value="2"' in html

    assert save(alice, incident, "Alice's own text", 2).status_code == 302
    narrative = Narrative.objects.get()
    assert [(v.number, v.body) for v in narrative.versions.all()] == [
        (1, "First <b>text</b>"),
        (2, "Bob's newer text"),
        (3, "Alice's own text"),
    ]
    assert narrative.versions.get(number=1).note == "start"


def test_an_invalid_save_says_what_is_wrong(world: World, incident):
    response = save(world.client_for(world.alice), incident, "", 0)
    assert response.status_code == 422
    assert "The narrative is empty" in response.content.decode()
    response = save(world.client_for(world.alice), incident, "Text", 0, "n" * 301)
    assert response.status_code == 422 and "at most 300 characters" in response.content.decode()


def test_the_preview_is_sanitised_and_lists_blame_wording(world: World, incident):
    client = world.client_for(world.alice)
    body = "# Story\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) Alice caused it."
    response = client.post(url("narrative_preview", incident), {"body": body}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Story</h1>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert "“Alice caused”" in html and "line 5, column 26" in html
    quiet = client.post(url("narrative_preview", incident), {"body": "We learned."}, **HTMX)
    assert "nothing flagged" in quiet.content.decode()
    outsider = world.client_for(world.member).post(url("narrative_preview", incident), {"body": ""})
    assert outsider.status_code == 404


def test_generating_a_draft_from_the_page(world: World, incident):
    client = world.client_for(world.alice)
    response = client.post(url("narrative_generate", incident))
    assert response.status_code == 302 and response["Location"] == url("narrative_edit", incident)
    response = client.post(url("narrative_generate", incident), **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == url(
        "narrative_edit", incident
    )
    narrative = Narrative.objects.get()
    assert narrative.title == "Checkout down"
    assert narrative.versions.count() == 2
    page = client.get(url("narrative_edit", incident)).content.decode()
    assert "## What happened" in page and "version 2" in page
    assert (
        world.client_for(world.member).post(url("narrative_generate", incident)).status_code == 404
    )


def test_history_and_an_escaped_side_by_side_diff(world: World, incident):
    narrative = services.narrative_for(incident)
    services.save_version(narrative, "Line one\nLine two\n", world.alice, 0, "first")
    services.save_version(
        narrative, "Line one\nLine <script>2</script>\nLine three\n", world.bob, 1
    )
    client = world.client_for(world.alice)
    history = client.get(url("narrative_history", incident)).content.decode()
    assert history.index(url("narrative_version", incident, number=2)) < history.index(
        url("narrative_version", incident, number=1)
    )
    assert "first" in history and "Bob Builder" in history

    diff = client.get(url("narrative_diff", incident), {"from": 1, "to": 2})
    html = diff.content.decode()
    assert diff.status_code == 200 and "2 lines differ" in html
    assert "<del>Line two</del>" in html
    assert "<ins>Line &lt;script&gt;2&lt;/script&gt;</ins>" in html
    assert "<ins>Line three</ins>" in html and "<script>2" not in html
    assert client.get(url("narrative_diff", incident)).status_code == 200  # latest two
    assert client.get(url("narrative_diff", incident), {"from": 9}).status_code == 404
    assert client.get(url("narrative_diff", incident), {"from": "x"}).status_code == 404
    version = client.get(url("narrative_version", incident, number=2)).content.decode()
    assert "<script>2" not in version


def test_status_and_publishing_from_the_page(world: World, incident):
    alice, manager = world.client_for(world.alice), world.client_for(world.payments_pm)
    save(alice, incident, "Told once", 0)
    assert alice.post(url("narrative_publish", incident)).status_code == 403
    page = alice.get(url("narrative_edit", incident)).content.decode()
    assert "Publishing is for the incident" in page and "Send to review" in page

    alice.post(url("narrative_status", incident), {"status": "in_review"})
    assert Narrative.objects.get().status == NarrativeStatus.IN_REVIEW
    manager.post(url("narrative_publish", incident))
    narrative = Narrative.objects.get()
    assert narrative.status == NarrativeStatus.PUBLISHED
    assert narrative.current_publication.revision == 1

    save(alice, incident, "Told better", 1)
    page = manager.get(url("narrative_edit", incident)).content.decode()
    assert "Unpublished changes since revision 1" in page
    assert "readers see revision 1 (version 1)" in page
    assert "Publish revision 2" in page
    manager.post(url("narrative_publish", incident))
    assert Narrative.objects.get().current_publication.revision == 2

    refused = alice.post(url("narrative_status", incident), {"status": "draft"}, follow=True)
    assert "publish a new revision instead" in refused.content.decode()


def test_a_long_diff_shows_the_changes_with_some_lines_around_them(world: World, incident):
    narrative = services.narrative_for(incident)
    lines = [f"Line {n}" for n in range(1, 41)]
    services.save_version(narrative, "\n".join(lines), world.alice, 0)
    lines[19] = "Line twenty"
    services.save_version(narrative, "\n".join(lines), world.alice, 1)
    client = world.client_for(world.alice)
    html = client.get(url("narrative_diff", incident)).content.decode()
    assert "… 16 unchanged lines …" in html and "… 17 unchanged lines …" in html
    assert "<del>Line 20</del>" in html and "<ins>Line twenty</ins>" in html
    assert ">Line 17<" in html and ">Line 16<" not in html
    every = client.get(url("narrative_diff", incident), {"all": "1"}).content.decode()
    assert "unchanged lines" not in every and ">Line 16<" in every
