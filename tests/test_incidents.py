from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from learnloop.analysis.models import AnalysisAssignment
from learnloop.incidents.models import ConsequenceDecision, Incident, KeyCounter, ResponseRole
from learnloop.incidents.services import decide_by_hand, record_incident, update_incident
from tests.conftest import World, utc


def test_the_policy_makes_a_severe_incident_of_consequence_and_opens_analysis(world: World):
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 1, 1, 10),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )
    assert incident.of_consequence is True
    decision = incident.consequence_decisions.get()
    assert decision.by_policy and "SEV1" in decision.reason
    assignments = AnalysisAssignment.objects.filter(incident=incident)
    assert {a.analyst for a in assignments} == {world.alice, world.bob}
    assert all(a.hours_allocated == Decimal("16") for a in assignments)


def test_a_minor_incident_is_not_of_consequence_and_opens_nothing(world: World):
    incident = record_incident(
        world.org, None, title="Typo", severity=5, responders=[(world.alice, ResponseRole.ON_CALL)]
    )
    assert incident.of_consequence is False
    assert not incident.assignments.exists()


def test_a_change_that_meets_the_policy_opens_the_learning_process(world: World):
    incident = record_incident(
        world.org,
        None,
        title="Slow",
        severity=4,
        started_at=utc(2026, 1, 1, 10),
        responders=[(world.alice, ResponseRole.ON_CALL)],
    )
    update_incident(incident, resolved_at=utc(2026, 1, 1, 12))
    assert incident.of_consequence is True
    assert "lasted 120 min" in incident.consequence_decisions.last().reason
    assert incident.assignments.count() == 1


def test_a_manual_decision_keeps_who_and_why_and_the_policy_does_not_override_it(world: World):
    incident = record_incident(
        world.org, None, title="Odd", severity=5, responders=[(world.alice, ResponseRole.ON_CALL)]
    )
    decide_by_hand(incident, True, "Near miss worth learning from", by=world.payments_pm)
    update_incident(incident, title="Odd, renamed")
    last = incident.consequence_decisions.last()
    assert (last.decided_by, last.by_policy, last.reason) == (
        world.payments_pm,
        False,
        "Near miss worth learning from",
    )
    assert incident.of_consequence is True
    assert incident.assignments.count() == 1


def test_the_list_page_filters_and_shows_only_the_own_organisation(world: World):
    record_incident(world.org, None, title="Payments thing", team=world.payments, severity=2)
    record_incident(world.org, None, title="Search thing", team=world.search, severity=4)
    record_incident(world.other_org, None, title="Someone else's", severity=1)
    client = world.client_for(world.member)
    page = client.get("/incidents/", {"team": "payments"}).content.decode()
    assert "Payments thing" in page and "Search thing" not in page
    page = client.get("/incidents/").content.decode()
    assert "Search thing" in page and "Someone else" not in page


def test_a_member_may_not_record_an_incident(world: World):
    assert world.client_for(world.member).get("/incidents/new/").status_code == 403


def test_recording_through_the_form_rejects_times_before_the_start(world: World):
    client = world.client_for(world.payments_pm)
    response = client.post(
        "/incidents/new/",
        {
            "title": "X",
            "status": "investigating",
            "started_at": "2026-01-01T10:00",
            "resolved_at": "2026-01-01T09:00",
        },
    )
    assert response.status_code == 200
    assert "cannot come before the incident started" in response.content.decode()


def test_forms_enforce_csrf(world: World):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.payments_pm)
    assert client.post("/incidents/new/", {"title": "X"}).status_code == 403


def test_pages_need_a_login(db):
    response = Client().get("/incidents/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_an_admin_changes_the_policy_and_it_decides_the_next_incident(world: World):
    client = world.client_for(world.admin)
    form = {
        "max_severity": "1",
        "min_estimated_loss": "",
        "min_duration_minutes": "",
        "default_hours": "6",
        "analysis_window_days": "3",
        "hours_sev1": "20",
        "hours_sev2": "10",
        "hours_sev3": "6",
        "hours_sev4": "3",
        "hours_sev5": "1",
    }
    assert client.post("/settings/policy/", form).status_code == 302
    severe = record_incident(
        world.org, None, title="A", severity=1, responders=[(world.alice, ResponseRole.ON_CALL)]
    )
    major = record_incident(world.org, None, title="B", severity=2, customer_facing=True)
    assert severe.of_consequence is True and major.of_consequence is False
    assert severe.assignments.get().hours_allocated == Decimal("20")


def test_only_admins_change_the_policy(world: World):
    assert world.client_for(world.problem_manager).get("/settings/policy/").status_code == 403
    response = world.client_for(world.admin).post("/settings/policy/", {"hours_sev1": "-1"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()


def test_a_new_key_follows_the_last_one_and_skips_keys_already_held(world: World):
    first = record_incident(world.org, None, title="First")
    assert first.key == "INC-1"  # the organisation had no incident
    record_incident(world.org, None, title="Imported", key="INC-2")  # an import holds INC-2
    assert record_incident(world.org, None, title="Following").key == "INC-3"


def test_an_organisation_s_first_key_follows_the_incidents_it_already_has(world: World):
    """Keys given before the counter existed were at most their incident's id: the counter of
    an organisation that has incidents but no counter yet starts after the newest id."""
    incident = record_incident(world.org, None, title="First")
    KeyCounter.objects.filter(organisation=world.org).delete()
    assert record_incident(world.org, None, title="Next").key == f"INC-{incident.pk + 1}"


def test_an_invalid_incident_is_refused_before_anything_is_written(world: World):
    before = Incident.objects.count(), ConsequenceDecision.objects.count()
    with pytest.raises(ValidationError) as refused:
        record_incident(
            world.org,
            None,
            title="x" * 301,
            started_at=utc(2026, 1, 2),
            resolved_at=utc(2026, 1, 1),
        )
    assert set(refused.value.message_dict) == {"title", "resolved_at"}
    assert (Incident.objects.count(), ConsequenceDecision.objects.count()) == before
