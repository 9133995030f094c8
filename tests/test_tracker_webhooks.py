"""Tracker webhooks move actions through the lifecycle; forged or unsigned ones are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from django.test import Client

from learnloop.actions.models import ActionKind, ActionStatus, ImprovementAction
from learnloop.actions.services import add_action
from learnloop.incidents.services import record_incident
from learnloop.trackers.models import TrackerConnection
from tests.conftest import World

SECRET = "whsec-1234"
URL = "/trackers/webhooks/acme/payments/"


def filed(world: World, kind: str, key: str) -> ImprovementAction:
    connection = TrackerConnection(
        team=world.payments, kind=kind, base_url="https://t.example", project="P"
    )
    connection.token = "t"
    connection.webhook_secret = SECRET
    connection.save()
    incident = record_incident(world.org, None, title="X", team=world.payments, severity=2)
    action = add_action(incident, None, title="Fix", kind=ActionKind.CODE_FIX)
    ImprovementAction.objects.filter(pk=action.pk).update(tracker_kind=kind, tracker_key=key)
    return action


def hex_sig(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def jira(status: str) -> dict:
    return {
        "webhookEvent": "jira:issue_updated",
        "issue": {"key": "PAY-7", "fields": {"status": {"name": status}}},
    }


def trello(list_name: str) -> dict:
    return {
        "action": {
            "type": "updateCard",
            "data": {
                "card": {"id": "c0ffee", "name": "Fix"},
                "listBefore": {"name": "To Do"},
                "listAfter": {"name": list_name},
            },
        }
    }


CASES = {
    "jira_cloud": (
        "PAY-7",
        jira("In Progress"),
        lambda body: {"HTTP_X_HUB_SIGNATURE": "sha256=" + hex_sig(body)},
    ),
    "github": (
        "12",
        {"action": "closed", "issue": {"number": 12, "state": "closed"}},
        lambda body: {"HTTP_X_HUB_SIGNATURE_256": "sha256=" + hex_sig(body)},
    ),
    "linear": (
        "ENG-3",
        {
            "action": "update",
            "type": "Issue",
            "data": {"identifier": "ENG-3", "state": {"name": "In Progress"}},
        },
        lambda body: {"HTTP_LINEAR_SIGNATURE": hex_sig(body)},
    ),
    "trello": (
        "c0ffee",
        trello("Doing"),
        lambda body: {
            "HTTP_X_TRELLO_WEBHOOK": base64.b64encode(
                hmac.new(
                    SECRET.encode(), body + f"http://testserver{URL}".encode(), hashlib.sha1
                ).digest()
            ).decode()
        },
    ),
}
EXPECTED = {
    "jira_cloud": ActionStatus.IN_PROGRESS,
    "github": ActionStatus.IMPLEMENTED,
    "linear": ActionStatus.IN_PROGRESS,
    "trello": ActionStatus.IN_PROGRESS,
}


@pytest.mark.parametrize("kind", CASES)
def test_a_signed_webhook_moves_the_action(world: World, kind: str):
    key, payload, sign = CASES[kind]
    action = filed(world, kind, key)
    body = json.dumps(payload).encode()
    response = Client().post(URL, body, content_type="application/json", **sign(body))
    assert response.status_code == 204
    action.refresh_from_db()
    assert action.status == EXPECTED[kind]
    assert action.changes.last().source == kind


@pytest.mark.parametrize("kind", CASES)
def test_forged_and_unsigned_webhooks_are_refused(world: World, kind: str):
    key, payload, sign = CASES[kind]
    action = filed(world, kind, key)
    body = json.dumps(payload).encode()
    forged = {name: "sha256=" + "0" * 64 for name in sign(body)}
    assert Client().post(URL, body, content_type="application/json", **forged).status_code == 403
    assert Client().post(URL, body, content_type="application/json").status_code == 403
    tampered = json.dumps({**payload, "extra": 1}).encode()
    assert (
        Client().post(URL, tampered, content_type="application/json", **sign(body)).status_code
        == 403
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.IDEA


def test_jira_data_center_checks_the_secret_in_the_url(world: World):
    action = filed(world, "jira_dc", "PAY-7")
    body = json.dumps(jira("Done")).encode()
    assert (
        Client().post(URL + "?secret=wrong", body, content_type="application/json").status_code
        == 403
    )
    assert (
        Client().post(URL + f"?secret={SECRET}", body, content_type="application/json").status_code
        == 204
    )
    action.refresh_from_db()
    assert action.status == ActionStatus.IMPLEMENTED  # done in the tracker; practice needs proof


def test_a_tracker_cannot_reopen_what_learnloop_closed_nor_repeat_itself(world: World):
    from learnloop.actions.services import transition

    action = filed(world, "jira_cloud", "PAY-7")
    body = json.dumps(jira("In Progress")).encode()
    sign = CASES["jira_cloud"][2]
    Client().post(URL, body, content_type="application/json", **sign(body))
    Client().post(URL, body, content_type="application/json", **sign(body))
    assert action.changes.filter(source="jira_cloud").count() == 1
    action.refresh_from_db()
    transition(action, ActionStatus.IN_PRACTICE, None, evidence="Works")
    reopen = json.dumps(jira("To Do")).encode()
    Client().post(URL, reopen, content_type="application/json", **sign(reopen))
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PRACTICE


def test_bad_json_with_a_valid_signature_is_a_400(world: World):
    filed(world, "github", "1")
    body = b"{not json"
    response = Client().post(
        URL,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=" + hex_sig(body),
    )
    assert response.status_code == 400 and b"line 1" in response.content


def test_an_unknown_team_is_a_404(db):
    assert (
        Client()
        .post("/trackers/webhooks/nope/nope/", b"{}", content_type="application/json")
        .status_code
        == 404
    )


def test_a_team_maps_its_own_statuses(world: World):
    client = world.client_for(world.payments_pm)
    form = {
        "kind": "github",
        "base_url": "https://api.github.com",
        "project": "acme/pay",
        "token": "t",
        "status_mapping": "Shipped = implemented\nclosed = wont_do",
    }
    client.post("/teams/payments/tracker/", form)
    connection = TrackerConnection.objects.get()
    assert connection.lifecycle_status("SHIPPED") == "implemented"
    bad = client.post("/teams/payments/tracker/", {**form, "status_mapping": "Done = finished"})
    assert "Line 1: write" in bad.content.decode()
    assert world.client_for(world.alice).get("/teams/payments/tracker/").status_code == 403


def test_trello_checks_the_callback_with_head_before_creating_the_webhook(world: World):
    """Trello sends HEAD to the callback URL and creates the webhook only on a 200."""
    filed(world, "trello", "card-1")
    answer = Client().head(URL)
    assert answer.status_code == 200
    assert Client().head("/trackers/webhooks/nope/nope/").status_code == 404
    assert Client().get(URL).status_code == 405
