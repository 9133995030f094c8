"""Atom feeds that real feed readers accept: the organisation's and a team's published
narratives, reached through each member's private token."""

from __future__ import annotations

import feedparser
import pytest
from django.test import Client
from django.urls import reverse

from learnloop.accounts.models import Membership
from learnloop.narratives.models import NarrativeVersion
from tests.conftest import World, utc
from tests.test_portal_helpers import draft_narrative, published_narrative

pytestmark = pytest.mark.django_db


def token_of(user) -> str:  # type: ignore[no-untyped-def]
    return Membership.objects.get(user=user).calendar_token


def fetch(address: str) -> feedparser.FeedParserDict:
    response = Client().get(address)  # a feed reader: no session
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    return feedparser.parse(response.content)


def test_the_organisation_feed_holds_exactly_the_published_narratives(world: World):
    cards = published_narrative(
        world.org,
        "Card declines",
        team=world.payments,
        author=world.alice,
        published_at=utc(2026, 10, 1, 9),
        revisions=2,
    )
    published_narrative(world.org, "Slow search", team=world.search, published_at=utc(2026, 11, 1))
    draft_narrative(world.org, "Secret draft", team=world.payments)
    published_narrative(world.other_org, "Their outage")

    feed = fetch(reverse("portal_feed", args=[token_of(world.member)]))

    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["Slow search", "Card declines"]
    entry = feed.entries[1]
    assert entry.id.startswith("tag:") and entry.id.endswith(f"/{cards.incident.key}")
    assert entry.link.endswith(reverse("portal_narrative", args=[cards.incident.key]))
    assert entry.updated.startswith("2026-10-02")  # revision 2's date
    assert entry.author == "Alice Analyst"
    assert "certificate expired" in entry.summary
    assert "<h2>How we got here</h2>" in entry.content[0].value


def test_an_entry_keeps_its_id_when_a_new_revision_is_published(world: World):
    narrative = published_narrative(world.org, "Card declines")
    address = reverse("portal_feed", args=[token_of(world.member)])
    before = fetch(address).entries[0].id

    NarrativeVersion.objects.create(narrative=narrative, number=2, body="## Summary\n\nNewer.\n")
    narrative.title = "Card declines, retold"
    narrative.save()

    assert fetch(address).entries[0].id == before


def test_a_team_feed_holds_only_that_teams_narratives(world: World):
    published_narrative(world.org, "Card declines", team=world.payments)
    published_narrative(world.org, "Slow search", team=world.search)
    draft_narrative(world.org, "Search draft", team=world.search)

    feed = fetch(reverse("portal_team_feed", args=[token_of(world.carol), "search"]))

    assert not feed.bozo, feed.bozo_exception
    assert [e.title for e in feed.entries] == ["Slow search"]
    assert "Search" in feed.feed.title


def test_an_unknown_token_or_another_organisations_team_is_not_found(world: World):
    assert Client().get(reverse("portal_feed", args=["not-a-token"])).status_code == 404
    outsider = token_of(world.outsider)
    assert Client().get(reverse("portal_team_feed", args=[outsider, "payments"])).status_code == 404


def test_a_renewed_token_retires_the_old_address(world: World):
    old = token_of(world.member)
    world.client_for(world.member).post(reverse("reset_calendar"))

    assert Client().get(reverse("portal_feed", args=[old])).status_code == 404
    assert Client().get(reverse("portal_feed", args=[token_of(world.member)])).status_code == 200


def test_the_portal_links_the_feed(world: World):
    text = world.client_for(world.member).get(reverse("portal")).content.decode()
    feed = reverse("portal_feed", args=[token_of(world.member)])
    link = '<link rel="alternate" type="application/atom+xml" title="Published narratives"'
    assert f'{link} href="{feed}">' in text


def test_filtering_by_team_offers_that_teams_feed(world: World):
    text = world.client_for(world.member).get(reverse("portal"), {"team": "search"}).content
    feed = reverse("portal_team_feed", args=[token_of(world.member), "search"])
    assert f'href="{feed}"' in text.decode()
