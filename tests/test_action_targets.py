"""Each improvement action keeps its target (actions/targets.py): its idea plus the policy's
days for its incident's severity. The homes find late actions by it, so it must follow every
input: the action itself, its incident's severity, and the policy's days."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import User
from django.forms.models import model_to_dict
from django.test import RequestFactory

from learnloop.actions.models import ImprovementAction
from learnloop.actions.services import add_action
from learnloop.incidents.models import Incident
from learnloop.incidents.services import policy_for, record_incident, update_incident
from tests.conftest import World, utc

IDEA = utc(2026, 3, 1)


def recorded(world: World, severity: int | None, org=None) -> ImprovementAction:
    incident = record_incident(org or world.org, None, title="Down", severity=severity)
    return add_action(incident, None, title="Add a breaker", kind="code_fix", idea_at=IDEA)


def days_to_target(action: ImprovementAction) -> int:
    action.refresh_from_db()
    return (action.target_at - action.idea_at).days


def test_a_recorded_action_is_due_by_its_incident_s_severity(world: World):
    """The default days: 15 for SEV1, 30 for SEV2, 60 for SEV3 and for none, 90 for SEV4."""
    found = {severity: days_to_target(recorded(world, severity)) for severity in (1, 2, 3, 4, None)}
    assert found == {1: 15, 2: 30, 3: 60, 4: 90, None: 60}


def test_an_action_s_target_follows_a_change_of_its_incident_s_severity(world: World):
    action = recorded(world, 3)
    update_incident(action.incident, severity=1)
    assert days_to_target(action) == 15
    update_incident(action.incident, severity=None)
    assert days_to_target(action) == 60


def test_a_severity_changed_in_the_admin_moves_the_targets_too(world: World):
    action = recorded(world, 4)
    incident = Incident.objects.get(pk=action.incident_id)
    model_admin = admin.site._registry[Incident]
    request = RequestFactory().post("/admin/")
    request.user = User.objects.create_superuser("root@acme.test", "root@acme.test")
    form_class = model_admin.get_form(request, incident, change=True)
    data: dict[str, Any] = {}
    for name, value in model_to_dict(incident).items():
        if isinstance(value, datetime):  # the admin's date and time inputs
            data[f"{name}_0"], data[f"{name}_1"] = value.date(), value.time()
        elif value is not None:
            data[name] = json.dumps(value) if isinstance(value, dict) else value
    form = form_class(data={**data, "severity": "2"}, instance=incident)
    assert form.is_valid(), form.errors
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    assert days_to_target(action) == 30


def test_new_days_in_the_policy_move_the_organisation_s_targets_only(world: World):
    ours = [recorded(world, severity) for severity in (1, 2, None)]
    theirs = recorded(world, 1, org=world.other_org)
    policy = policy_for(world.org)
    policy.action_target_days = {"1": 7, "2": 7, "3": 45, "4": 90, "5": 180}
    policy.save()
    assert [days_to_target(action) for action in ours] == [7, 7, 45]
    assert days_to_target(theirs) == 15


def test_an_action_saved_with_another_idea_moment_moves_its_target(world: World):
    action = recorded(world, 2)
    action.idea_at = IDEA + timedelta(days=10)
    action.save()
    action.refresh_from_db()
    assert action.target_at == IDEA + timedelta(days=40)
