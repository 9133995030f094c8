"""The portal: every member reads published narratives, never drafts nor another
organisation's; search and filters; revisions; readership for those close to the incident."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.analysis.models import LearningTheme
from learnloop.incidents.models import Incident, Responder
from learnloop.insights.search import reindex
from learnloop.narratives.models import Narrative, NarrativeRead, NarrativeVersion
from learnloop.portal import content, queries
from learnloop.portal.queries import (
    _matching_keys,
    published,
    published_narratives,
    searched_window,
    window,
)
from learnloop.portal.services import readership, record_read
from tests.conftest import World, utc
from tests.test_portal_helpers import BODY, draft_narrative, published_narrative

pytestmark = pytest.mark.django_db


def titles(page_items) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.title for n in page_items]


def test_every_member_reads_published_narratives_but_never_drafts(world: World):
    published_narrative(world.org, "Card declines", team=world.payments)
    draft_narrative(world.org, "Secret draft", team=world.payments)
    published_narrative(world.other_org, "Their outage")

    response = world.client_for(world.member).get(reverse("portal"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Card declines" in text
    assert "Secret draft" not in text
    assert "Their outage" not in text


def test_a_draft_or_another_organisations_narrative_has_no_portal_address(world: World):
    draft = draft_narrative(world.org, "Secret draft")
    theirs = published_narrative(world.other_org, "Their outage")
    client = world.client_for(world.member)

    assert client.get(reverse("portal_narrative", args=[draft.incident.key])).status_code == 404
    assert client.get(reverse("portal_narrative", args=[theirs.incident.key])).status_code == 404
    assert client.get(reverse("portal_present", args=[draft.incident.key])).status_code == 404


def test_search_matches_every_word_of_published_narratives_only(world: World):
    published_narrative(world.org, "Card declines", team=world.payments)
    published_narrative(
        world.org, "Slow search", "## Summary\n\nThe index rebuilt during peak traffic.\n"
    )
    draft_narrative(world.org, "Draft about certificates")

    assert titles(published(world.org.pk, text="certificate expired").items) == ["Card declines"]
    assert titles(published(world.org.pk, text="index peak").items) == ["Slow search"]
    assert published(world.org.pk, text="certificate index").items == []
    assert published(world.other_org.pk, text="certificate").items == []


def test_the_search_reads_the_narratives_own_full_text_index(world: World):
    """Its words are looked up among narratives only: on PostgreSQL by a GIN index of their
    vectors alone (insights/0007; the whole index gave every document holding a word), whose
    condition is the query's; on SQLite by FTS5, whose table holds the kind (0005). (On a test's
    few rows PostgreSQL's planner rightly prefers other paths, so its plan is not asked.)"""
    published_narrative(world.org, "Card declines", team=world.payments)
    matching = _matching_keys(world.org.pk, ["certificate"])
    assert matching is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'insights_narrative_vector'"
            )
            (definition,) = cursor.fetchone()
            assert "USING gin (search_vector)" in definition  # WITH its storage, then:
            assert "WHERE ((kind)::text = 'narrative'" in definition
            assert "d.kind = 'narrative'" in matching.sql
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {matching.sql}", matching.params)
            assert "VIRTUAL TABLE INDEX" in str(cursor.fetchall())


def test_filters_by_team_service_severity_theme_and_date(world: World):
    theme = LearningTheme.objects.create(organisation=world.org, name="Renewals", slug="renewals")
    cards = published_narrative(
        world.org,
        "Card declines",
        team=world.payments,
        service=world.checkout,
        severity=1,
        published_at=utc(2026, 10, 1, 9),
    )
    cards.incident.themes.add(theme)
    published_narrative(
        world.org, "Slow search", team=world.search, severity=3, published_at=utc(2026, 11, 1, 9)
    )
    org = world.org.pk

    assert titles(published(org).items) == ["Slow search", "Card declines"]
    assert titles(published(org, team="payments").items) == ["Card declines"]
    assert titles(published(org, service="checkout").items) == ["Card declines"]
    assert titles(published(org, severity=3).items) == ["Slow search"]
    assert titles(published(org, theme="renewals").items) == ["Card declines"]
    assert titles(published(org, published_from=date(2026, 10, 15)).items) == ["Slow search"]
    assert titles(published(org, published_to=date(2026, 10, 1)).items) == ["Card declines"]


def test_the_list_pages_without_counting(world: World):
    for number in range(3):
        published_narrative(world.org, f"Outage {number}", published_at=utc(2026, 10, 1 + number))

    first = published(world.org.pk, page_size=2)
    second = published(world.org.pk, page=2, page_size=2)

    assert titles(first.items) == ["Outage 2", "Outage 1"] and first.has_next
    assert titles(second.items) == ["Outage 0"] and not second.has_next
    with CaptureQueriesContext(connection) as queries:
        published(world.org.pk, text="outage", team="payments", page_size=2)
    assert len(queries) == 1


def test_filters_apply_as_they_change_with_htmx(world: World):
    published_narrative(world.org, "Card declines", team=world.payments)
    published_narrative(world.org, "Slow search", team=world.search)

    response = world.client_for(world.member).get(
        reverse("portal"), {"team": "search"}, HTTP_HX_REQUEST="true"
    )

    text = response.content.decode()
    assert 'id="portal-results"' in text
    assert "Slow search" in text and "Card declines" not in text


def test_a_wrong_date_range_says_which_field(world: World):
    response = world.client_for(world.member).get(
        reverse("portal"), {"published_from": "2026-11-02", "published_to": "2026-11-01"}
    )
    assert "published_to: The end of the range is before its start." in response.content.decode()


def test_the_narrative_shows_its_revision_and_links_to_earlier_ones(world: World):
    narrative = published_narrative(
        world.org, "Card declines", revisions=2, published_at=utc(2026, 11, 2, 10)
    )
    client = world.client_for(world.member)
    address = reverse("portal_narrative", args=[narrative.incident.key])

    current = client.get(address).content.decode()
    earlier = client.get(address, {"revision": 1}).content.decode()

    assert "Revision 2, published 3 November 2026" in current
    assert 'href="?revision=1"' in current
    assert "certificate expired" in current
    assert "Revision 1, published 2 November 2026" in earlier
    assert "The text of revision 1." in earlier and "certificate expired" not in earlier
    assert client.get(address, {"revision": 3}).status_code == 404
    assert client.get(address, {"revision": "x"}).status_code == 404


def test_a_draft_saved_after_publishing_stays_unseen(world: World):
    narrative = published_narrative(world.org, "Card declines")
    NarrativeVersion.objects.create(narrative=narrative, number=2, body="Unfinished thoughts")

    text = (
        world.client_for(world.member)
        .get(reverse("portal_narrative", args=[narrative.incident.key]))
        .content.decode()
    )

    assert "Unfinished thoughts" not in text and "certificate expired" in text


def test_portal_pages_forbid_inline_scripts_and_markdown_is_sanitised(world: World):
    narrative = published_narrative(
        world.org,
        "Hostile",
        "## Summary\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[click](javascript:alert(3))\n",
    )
    client = world.client_for(world.member)
    for name in ("portal_narrative", "portal_present"):
        response = client.get(reverse(name, args=[narrative.incident.key]))
        policy = response["Content-Security-Policy"]
        # The directives come in any order: read them by name.
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline' for scripts
        body = response.content.decode()
        assert "<script>alert" not in body and "<img" not in body
        assert 'href="javascript:' not in body
    assert "Content-Security-Policy" in client.get(reverse("portal"))


def test_reading_records_one_row_per_reader_in_one_query(world: World):
    narrative = published_narrative(world.org, "Card declines", revisions=2)

    with CaptureQueriesContext(connection) as queries:
        record_read(narrative, world.member, 1)
    record_read(narrative, world.member, 2)

    assert len(queries) == 1
    read = NarrativeRead.objects.get(narrative=narrative, reader=world.member)
    assert read.last_revision == 2 and read.last_read_at >= read.first_read_at
    assert NarrativeRead.objects.filter(narrative=narrative).count() == 1


def test_readership_is_shown_to_the_team_and_authors_not_everyone(world: World):
    narrative = published_narrative(
        world.org, "Card declines", team=world.payments, author=world.carol
    )
    Responder.objects.create(incident=narrative.incident, user=world.search_pm)
    address = reverse("portal_narrative", args=[narrative.incident.key])
    for reader in (world.member, world.outsider):
        world.client_for(reader).get(address)

    def sees(user) -> bool:  # type: ignore[no-untyped-def]
        return 'id="readership"' in world.client_for(user).get(address).content.decode()

    assert sees(world.alice)  # the incident's team
    assert sees(world.payments_pm) and sees(world.problem_manager)  # its managers
    assert sees(world.carol)  # an author
    assert sees(world.search_pm)  # a responder from another team
    assert not sees(world.member)
    assert sees(world.bob)  # in payments too
    text = world.client_for(world.alice).get(address).content.decode()
    # The member and the people who just looked; the outsider got a 404 and read nothing.
    assert NarrativeRead.objects.filter(narrative=narrative, reader=world.outsider).count() == 0
    assert "Mo Member" in text
    deliveries = reverse("narrative_deliveries", args=[narrative.incident.key])
    assert deliveries in text, "the team finds where the narrative was delivered"
    assert deliveries not in world.client_for(world.member).get(address).content.decode()


def test_a_presentation_has_a_title_slide_then_one_per_section_and_splits_long_ones():
    long_section = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(8))
    body = f"Opening words.\n\n## Summary\n\nShort.\n\n## Timeline\n\n{long_section}\n"
    body += "\n```\n## not a heading\n```\n"

    deck = content.slides("Card declines", body, "INC-1")

    assert deck[0].title == "Card declines" and "Opening words." in deck[0].html
    assert [s.title for s in deck[1:3]] == ["Summary", "Timeline"]
    assert deck[3].title == "Timeline (continued)"
    assert all(len(s.html) < 2 * content.SLIDE_CHARACTERS for s in deck)
    assert "## not a heading" in deck[-1].html


def test_the_presentation_loads_its_script_from_a_file(world: World):
    narrative = published_narrative(world.org, "Card declines")
    text = (
        world.client_for(world.member)
        .get(reverse("portal_present", args=[narrative.incident.key]))
        .content.decode()
    )
    assert 'src="/static/learnloop/portal-present.js"' in text
    assert text.count('class="slide') == 4
    assert "<script>" not in text


def test_a_narrative_page_costs_the_same_however_many_revisions_and_readers(world: World):
    narrative = published_narrative(world.org, "Card declines", team=world.payments, revisions=4)
    address = reverse("portal_narrative", args=[narrative.incident.key])
    for reader in (world.member, world.bob, world.carol, world.search_pm):
        world.client_for(reader).get(address)
    client = world.client_for(world.alice)

    with CaptureQueriesContext(connection) as queries:
        client.get(address)

    # Session, user, membership, narrative, the read, readers, revisions, walkthroughs, and the
    # incident's actions as they stand now.
    assert len(queries) <= 9


def test_readership_lists_the_most_recent_readers_and_counts_them_all(world: World):
    narrative = published_narrative(world.org, "Card declines")
    for reader in (world.member, world.bob, world.carol):
        record_read(narrative, reader, 1)

    shown = readership(narrative, limit=2)

    assert shown.unique_readers == 3 and len(shown.readers) == 2


def test_search_never_reveals_the_words_of_a_draft_saved_after_publishing(world: World):
    narrative = published_narrative(world.org, "Card declines")
    NarrativeVersion.objects.create(
        narrative=narrative, number=2, body=f"{BODY}\nThe vendor's hotline was unanswered.\n"
    )
    reindex(Incident.objects.filter(pk=narrative.incident_id))  # the index now holds the draft

    assert published(world.org.pk, text="hotline unanswered").items == []
    assert titles(published(world.org.pk, text="certificate expired").items) == ["Card declines"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(matches=st.lists(st.booleans(), min_size=1, max_size=9), walked=st.integers(1, 10))
def test_a_search_s_pages_are_the_same_checked_one_by_one_or_by_the_index(
    world: World, monkeypatch: pytest.MonkeyPatch, matches: list[bool], walked: int
):
    """searched_window checks the newest WALKED narratives one by one and falls back to the
    full-text index when they do not hold the page: every page, of every size, is the one the
    index alone gives, and says rightly whether more follow."""
    Narrative.objects.filter(organisation=world.org).delete()
    for n, match in enumerate(matches):
        words = "The expired certificate stopped card payments." if match else "Nothing alike."
        published_narrative(
            world.org, f"N{n}", f"## Summary\n\n{words}\n", published_at=utc(2026, 10, 1 + n)
        )
    everything = published_narratives(world.org.pk)
    by_index = everything.filter(
        incident__key__in=_matching_keys(world.org.pk, ["certificate", "expired"])
    )
    monkeypatch.setattr(queries, "WALKED", walked)
    for limit in (1, 2, 5):
        for offset in range(0, len(matches) + 1, limit):
            rows, more = searched_window(
                world.org.pk, everything, "certificate expired", offset, limit
            )
            assert (titles(rows), more) == (
                titles(window(by_index, offset, limit)[0]),
                window(by_index, offset, limit)[1],
            )


def test_a_narrative_of_an_incident_with_a_long_key_is_found_by_its_words(world: World):
    """Incident keys run to 120 characters (an imported report's id); a search checking the
    newest narratives one by one finds them by their whole key."""
    narrative = published_narrative(world.org, "Long key", "## Summary\n\nThe expired cert.\n")
    long_key = "IMPORTED-" + "x" * 100
    Incident.objects.filter(pk=narrative.incident_id).update(key=long_key)
    reindex([Incident.objects.get(pk=narrative.incident_id)])
    everything = published_narratives(world.org.pk)
    rows, more = searched_window(world.org.pk, everything, "expired cert", 0, 10)
    assert [row.pk for row in rows] == [narrative.pk] and not more
