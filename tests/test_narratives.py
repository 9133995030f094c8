"""Narrative versions, status and publishing: stale saves refused with both texts kept, one
transaction for a publication and its receivers, unpublished changes after publication."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from learnloop.analysis.models import Interview
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.narratives import services
from learnloop.narratives.models import Narrative, NarrativeStatus, Publication
from learnloop.narratives.signals import narrative_published
from tests.conftest import World, utc


def incident_of(world: World) -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )


@pytest.fixture
def narrative(world: World) -> Narrative:
    return services.narrative_for(incident_of(world))


def test_a_stale_save_is_refused_and_both_versions_survive(world: World, narrative: Narrative):
    first = services.save_version(narrative, "First text", world.alice, 0)
    bobs = services.save_version(narrative, "Bob's text", world.bob, first.number, "tightened")
    with pytest.raises(services.StaleVersionError) as refused:
        services.save_version(narrative, "Alice's text", world.alice, first.number)
    assert refused.value.latest == bobs and refused.value.body == "Alice's text"
    assert "Version 2 was saved after version 1" in str(refused.value)
    assert [v.body for v in narrative.versions.all()] == ["First text", "Bob's text"]

    # Having seen Bob's text, Alice saves hers on top of it: both are versions.
    alices = services.save_version(narrative, "Alice's text", world.alice, bobs.number)
    assert alices.number == 3
    assert [(v.number, v.body, v.author) for v in narrative.versions.all()] == [
        (1, "First text", world.alice),
        (2, "Bob's text", world.bob),
        (3, "Alice's text", world.alice),
    ]
    assert narrative.versions.get(number=2).note == "tightened"


def test_a_first_save_is_based_on_version_0_and_nothing_else(world: World, narrative: Narrative):
    with pytest.raises(ValidationError) as invalid:
        services.save_version(narrative, "Text", world.alice, 4)
    assert "There is no version 4" in str(invalid.value)
    services.save_version(narrative, "Text", world.alice, 0)
    with pytest.raises(services.StaleVersionError):
        services.save_version(narrative, "Another first", world.bob, 0)
    with pytest.raises(ValidationError) as empty:
        services.save_version(narrative, "   \n", world.alice, 1)
    assert "empty" in str(empty.value)


def test_status_goes_to_review_and_back_but_publishing_is_its_own_step(
    world: World, narrative: Narrative
):
    services.save_version(narrative, "Text", world.alice, 0)
    with pytest.raises(ValidationError, match="Send the narrative to review"):
        services.publish(narrative, world.payments_pm)
    assert services.change_status(narrative, "in_review").status == NarrativeStatus.IN_REVIEW
    assert services.change_status(narrative, "draft").status == NarrativeStatus.DRAFT
    with pytest.raises(ValidationError, match="Publish the narrative"):
        services.change_status(narrative, "published")
    with pytest.raises(ValidationError, match="not a narrative status"):
        services.change_status(narrative, "archived")


def test_publishing_makes_numbered_revisions_and_later_saves_wait_for_the_next(
    world: World, narrative: Narrative
):
    with pytest.raises(ValidationError):
        services.publish(services.change_status(narrative, "in_review"), world.payments_pm)
    first = services.save_version(narrative, "Told once", world.alice, 0)
    publication = services.publish(narrative, world.payments_pm)
    narrative.refresh_from_db()
    assert (publication.revision, publication.version, publication.published_by) == (
        1,
        first,
        world.payments_pm,
    )
    assert narrative.status == NarrativeStatus.PUBLISHED
    assert narrative.current_publication == publication
    first_published_at = narrative.published_at
    assert first_published_at == publication.published_at
    assert services.unpublished_changes(narrative) is None
    with pytest.raises(ValidationError, match="already revision 1"):
        services.publish(narrative, world.payments_pm)
    with pytest.raises(ValidationError, match="publish a new revision"):
        services.change_status(narrative, "draft")

    services.save_version(narrative, "Told better", world.bob, 1)
    narrative.refresh_from_db()
    assert narrative.status == NarrativeStatus.PUBLISHED
    assert narrative.current_publication.version.body == "Told once"
    assert services.unpublished_changes(narrative) == services.UnpublishedChanges(1, 1)

    second = services.publish(narrative, world.payments_pm)
    narrative.refresh_from_db()
    assert second.revision == 2 and second.version.body == "Told better"
    assert narrative.current_publication == second
    assert narrative.published_at == first_published_at
    assert list(narrative.publications.values_list("revision", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_receivers_run_inside_the_publishing_transaction(world: World):
    narrative = services.narrative_for(incident_of(world))
    services.save_version(narrative, "Text", world.alice, 0)
    services.change_status(narrative, "in_review")
    seen: dict[str, Any] = {}

    def receiver(sender: Any, narrative: Narrative, revision: Publication, **kwargs: Any) -> None:
        seen["atomic"] = connection.in_atomic_block
        seen["status"] = Narrative.objects.get(pk=narrative.pk).status
        seen["revision"] = revision.revision

    narrative_published.connect(receiver, dispatch_uid="test-inside")
    try:
        services.publish(narrative, world.payments_pm)
    finally:
        narrative_published.disconnect(dispatch_uid="test-inside")
    assert seen == {"atomic": True, "status": "published", "revision": 1}


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_raises_means_nothing_is_published(world: World):
    narrative = services.narrative_for(incident_of(world))
    services.save_version(narrative, "Text", world.alice, 0)
    services.change_status(narrative, "in_review")

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the delivery could not be recorded")

    narrative_published.connect(broken, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            services.publish(narrative, world.payments_pm)
    finally:
        narrative_published.disconnect(dispatch_uid="test-broken")
    narrative.refresh_from_db()
    assert narrative.status == NarrativeStatus.IN_REVIEW
    assert narrative.current_publication is None and narrative.published_at is None
    assert not Publication.objects.exists()
    # And once the receivers can do their work, publishing goes through.
    assert services.publish(narrative, world.payments_pm).revision == 1


def test_the_names_checked_are_the_incidents_people(world: World, narrative: Narrative):
    incident = narrative.incident
    Interview.objects.create(
        assignment=incident.assignments.get(analyst=world.alice),
        interviewee_name="Dana Ops",
        held_at=utc(2026, 11, 2, 10),
    )
    Interview.objects.create(
        assignment=incident.assignments.get(analyst=world.alice),
        interviewee=world.carol,
        held_at=utc(2026, 11, 2, 11),
    )
    names = services.people_names(incident)
    assert names == [
        "Alice",
        "Alice Analyst",
        "Bob",
        "Bob Builder",
        "Carol",
        "Carol Coder",
        "Dana Ops",
    ]
