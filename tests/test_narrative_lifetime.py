"""A published narrative's revisions keep their versions, yet the incident can still be deleted."""

from __future__ import annotations

import pytest
from django.db.models import RestrictedError

from learnloop.incidents.models import Incident
from learnloop.narratives import services
from learnloop.narratives.models import NarrativeVersion, Publication
from tests.conftest import World
from tests.test_narratives import incident_of


def test_a_published_version_cannot_be_deleted_alone(world: World):
    narrative = services.narrative_for(incident_of(world))
    version = services.save_version(narrative, "Told once", world.alice, 0)
    services.publish(services.change_status(narrative, "in_review"), world.payments_pm)
    with pytest.raises(RestrictedError):
        version.delete()


def test_deleting_an_incident_takes_its_published_narrative_with_it(world: World):
    incident = incident_of(world)
    narrative = services.narrative_for(incident)
    services.save_version(narrative, "Told once", world.alice, 0)
    services.publish(services.change_status(narrative, "in_review"), world.payments_pm)
    services.save_version(narrative, "Told twice", world.alice, 1)
    services.publish(narrative, world.payments_pm)
    incident.delete()
    assert not Incident.objects.filter(pk=incident.pk).exists()
    assert not Publication.objects.exists() and not NarrativeVersion.objects.exists()
