"""The portal's API: the same filters and rights as the pages."""

from __future__ import annotations

import pytest

from learnloop.narratives.models import NarrativeRead, Walkthrough
from tests.conftest import World
from tests.test_portal_helpers import draft_narrative, published_narrative

pytestmark = pytest.mark.django_db

API = "/api/v1/portal/narratives"


def test_lists_published_narratives_with_search_and_filters_paged_by_offset(world: World):
    cards = published_narrative(world.org, "Card declines", team=world.payments, severity=1)
    published_narrative(
        world.org,
        "Slow search",
        "## Summary\n\nThe index rebuilt.\n",
        team=world.search,
        severity=3,
    )
    draft_narrative(world.org, "Secret draft", team=world.payments)
    client = world.client_for(world.member)

    everything = client.get(API, {"limit": 1}).json()
    assert [n["title"] for n in everything["items"]] == ["Slow search"]
    assert everything["next_offset"] == 1
    rest = client.get(API, {"limit": 1, "offset": 1}).json()
    assert [n["title"] for n in rest["items"]] == ["Card declines"]
    assert rest["next_offset"] is None
    assert [n["key"] for n in client.get(API, {"team": "payments"}).json()["items"]] == [
        cards.incident.key
    ]
    assert client.get(API, {"q": "certificate", "severity": 3}).json()["items"] == []
    found = client.get(API, {"q": "certificate"}).json()["items"]
    assert [n["title"] for n in found] == ["Card declines"]
    assert client.get(API, {"limit": 0}).status_code == 422


def test_reading_one_records_a_read_and_earlier_revisions_are_readable(world: World):
    narrative = published_narrative(world.org, "Card declines", revisions=2)
    client = world.client_for(world.member)

    current = client.get(f"{API}/{narrative.incident.key}").json()
    earlier = client.get(f"{API}/{narrative.incident.key}", {"revision": 1}).json()

    assert current["revision"] == 2 and current["revisions"] == [1, 2]
    assert "certificate expired" in current["html"]
    assert earlier["revision"] == 1 and earlier["current_revision"] == 2
    read = NarrativeRead.objects.get(narrative=narrative, reader=world.member)
    assert read.last_revision == 1
    assert client.get(f"{API}/{narrative.incident.key}", {"revision": 9}).status_code == 404


def test_drafts_and_other_organisations_are_not_found(world: World):
    draft = draft_narrative(world.org, "Secret draft")
    mine = published_narrative(world.org, "Card declines")

    assert world.client_for(world.member).get(f"{API}/{draft.incident.key}").status_code == 404
    outsider = world.client_for(world.outsider)
    assert outsider.get(f"{API}/{mine.incident.key}").status_code == 404
    assert outsider.get(API).json()["items"] == []


def test_readership_is_for_the_incidents_people_only(world: World):
    narrative = published_narrative(world.org, "Card declines", team=world.payments)
    address = f"{API}/{narrative.incident.key}"
    world.client_for(world.member).get(address)
    world.client_for(world.carol).get(address)

    seen = world.client_for(world.alice).get(f"{address}/readership").json()

    assert seen["unique_readers"] == 2
    assert {r["email"] for r in seen["readers"]} == {"member@acme.test", "carol@acme.test"}
    assert world.client_for(world.member).get(f"{address}/readership").status_code == 403


def test_walkthroughs_are_scheduled_listed_and_attendance_recorded(world: World):
    narrative = published_narrative(world.org, "Card declines", team=world.payments)
    address = f"{API}/{narrative.incident.key}/walkthroughs"
    pm = world.client_for(world.payments_pm)

    made = pm.post(
        address,
        {
            "kind": "playback",
            "starts_at": "2026-12-01T14:00:00Z",
            "ends_at": "2026-12-01T15:00:00Z",
            "location": "Room 4",
            "people": ["member@acme.test"],
            "teams": ["search"],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    uid = made.json()["uid"]
    invited = {a["email"] for a in made.json()["attendees"]}
    assert invited == {"ppm@acme.test", "member@acme.test", "spm@acme.test", "carol@acme.test"}

    recorded = pm.post(
        f"{address}/{uid}/attendance",
        {"attended": ["carol@acme.test"]},
        content_type="application/json",
    ).json()
    attended = {a["email"]: a["attended"] for a in recorded["attendees"]}
    assert attended["carol@acme.test"] is True and attended["member@acme.test"] is False

    listed = world.client_for(world.member).get(address).json()
    assert [w["kind"] for w in listed] == ["playback"]


def test_scheduling_says_what_is_wrong_and_who_may(world: World):
    narrative = published_narrative(world.org, "Card declines", team=world.payments)
    address = f"{API}/{narrative.incident.key}/walkthroughs"
    times = {"starts_at": "2026-12-01T14:00:00Z", "ends_at": "2026-12-01T13:00:00Z"}

    backwards = world.client_for(world.alice).post(
        address, {**times, "people": ["bob@acme.test"]}, content_type="application/json"
    )
    stranger = world.client_for(world.alice).post(
        address,
        {**times, "ends_at": "2026-12-01T15:00:00Z", "people": ["admin@other.test"]},
        content_type="application/json",
    )
    outsider_team = world.client_for(world.carol).post(
        address, {**times, "people": ["bob@acme.test"]}, content_type="application/json"
    )

    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["field"] == "ends_at"
    assert stranger.json()["detail"] == [
        {"field": "people.0", "message": "No member 'admin@other.test'."}
    ]
    assert outsider_team.status_code == 403
    assert Walkthrough.objects.count() == 0


def test_rescheduling_bumps_the_sequence_and_keeps_the_place_unless_given(world: World):
    narrative = published_narrative(world.org, "Card declines", team=world.payments)
    address = f"{API}/{narrative.incident.key}/walkthroughs"
    pm = world.client_for(world.payments_pm)
    uid = pm.post(
        address,
        {
            "starts_at": "2026-12-01T14:00:00Z",
            "ends_at": "2026-12-01T15:00:00Z",
            "location": "Room 4",
            "people": ["member@acme.test"],
        },
        content_type="application/json",
    ).json()["uid"]
    times = {"starts_at": "2026-12-02T14:00:00Z", "ends_at": "2026-12-02T15:00:00Z"}

    moved = pm.patch(f"{address}/{uid}", times, content_type="application/json").json()
    refused = world.client_for(world.member).patch(
        f"{address}/{uid}", times, content_type="application/json"
    )

    assert moved["sequence"] == 1 and moved["location"] == "Room 4"
    assert moved["starts_at"].startswith("2026-12-02T14:00")
    assert refused.status_code == 403
