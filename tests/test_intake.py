"""Incident intake from alerting tools, driven by the vendors' own examples in ../shared:
signatures, order and repeats, rules, people, the consequence policy, replay and the API."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import random
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.incidents.models import Incident
from learnloop.intake import services
from learnloop.intake.models import IntakeDelivery, IntakeKind, IntakeSource, Verdict
from learnloop.intake.setup import save_source
from learnloop.intake.signatures import pagerduty_signed
from tests.conftest import SHARED, World

CONTRACTS = SHARED / "contracts"
SECRET = "a-signing-secret-of-the-subscription"


def contract(path: str) -> Any:
    return json.loads((CONTRACTS / path).read_text())


def pd_example(section: str) -> dict[str, Any]:
    examples = contract("pagerduty/webhooks-v3.examples.json")["examples"]
    return copy.deepcopy(next(e["value"] for e in examples if e["section"] == section))


def pd_event(kind: str, at: str, event_id: str, data: dict[str, Any] | None = None) -> bytes:
    """A v3 envelope as PagerDuty sends it, from the documented example, with this event."""
    envelope = pd_example("Webhook Payload")
    envelope["event"].update(event_type=kind, occurred_at=at, id=event_id)
    envelope["event"]["data"] = data if data is not None else pd_example("incident")
    if kind != "incident.priority_updated":
        envelope["event"]["data"]["status"] = (
            "resolved"
            if kind.endswith("resolved")
            else ("acknowledged" if kind.endswith("acknowledged") else "triggered")
        )
    return json.dumps(envelope).encode()


def pd_sequence() -> list[bytes]:
    """Triggered, acknowledged, a responder added, annotated, resolved: an hour and a half."""
    return [
        pd_event("incident.triggered", "2020-04-09T15:16:30Z", "ev-1"),
        pd_event("incident.acknowledged", "2020-04-09T15:20:00Z", "ev-2"),
        pd_event(
            "incident.responder.added",
            "2020-04-09T15:25:00Z",
            "ev-3",
            pd_example("incident_responder"),
        ),
        pd_event("incident.annotated", "2020-04-09T15:40:00Z", "ev-4", pd_example("incident_note")),
        pd_event("incident.resolved", "2020-04-09T16:50:00Z", "ev-5"),
    ]


def sign(body: bytes, secret: str = SECRET) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def pagerduty_source(world: World, **more: Any) -> IntakeSource:
    return save_source(
        world.org,
        kind=IntakeKind.PAGERDUTY,
        name="PagerDuty",
        team="payments",
        secret=SECRET,
        # Maeve, the responder added in the example, and User 123, the assignee.
        people={"PVMGSML": world.alice.email, "PTUXL6G": world.bob.email},
        **more,
    )


def post(source: IntakeSource, body: bytes, **headers: str) -> Any:
    return Client().post(
        source.receive_path(), data=body, content_type="application/json", headers=headers
    )


def post_pd(source: IntakeSource, body: bytes) -> Any:
    return post(source, body, **{"X-PagerDuty-Signature": sign(body)})


def end_state(source: IntakeSource) -> dict[str, Any]:
    """Everything the intake decides about the incident, without its key (allocated anew)."""
    incident = Incident.objects.get(intake_refs__source=source)
    return {
        "fields": {
            name: getattr(incident, name)
            for name in (
                "title",
                "severity",
                "status",
                "started_at",
                "detected_at",
                "resolved_at",
                "team_id",
                "service_id",
                "external_ref",
                "of_consequence",
            )
        },
        "responders": sorted(incident.responders.values_list("user__email", flat=True)),
        "analysts": sorted(
            AnalysisAssignment.objects.filter(incident=incident).values_list(
                "analyst__email", flat=True
            )
        ),
        "key_events": sorted(
            incident.key_events.values_list("occurred_at", "description", "event_type")
        ),
    }


def forget(source: IntakeSource) -> None:
    Incident.objects.filter(intake_refs__source=source).delete()
    source.deliveries.all().delete()


def test_the_known_answer_vector_of_the_signature_passes():
    vector = contract("pagerduty/webhook-v3-signature.testvector.json")
    body = vector["raw_body"].encode()
    verdicts = {
        c["name"]: pagerduty_signed(vector["secret"], body, c["header"]) for c in vector["cases"]
    }
    assert verdicts == {
        "valid": True,
        "mismatch": False,
        "rotation_two_signatures": True,
        "malformed_header_empty": False,
    }


def test_a_pagerduty_incident_of_consequence_opens_its_analysis_periods(world: World):
    source = pagerduty_source(world)
    answers = [post_pd(source, body) for body in pd_sequence()]
    assert [a.status_code for a in answers] == [200] * 5, [a.json() for a in answers]
    incident = Incident.objects.get(intake_refs__source=source)
    assert incident.title == "A little bump in the road"
    assert incident.severity == 1  # priority P1
    assert incident.team == world.payments
    assert incident.status == "resolved"
    assert incident.started_at.isoformat() == "2020-04-09T15:16:27+00:00"
    assert incident.resolved_at.isoformat() == "2020-04-09T16:50:00+00:00"
    assert incident.external_ref == "https://acme.pagerduty.com/incidents/PGR0VU2"
    assert incident.of_consequence is True
    state = end_state(source)
    assert state["responders"] == [world.alice.email, world.bob.email]
    assert state["analysts"] == [world.alice.email, world.bob.email]
    described = [d for _, d, _ in state["key_events"]]
    assert "Note: I sure am glad we are using PagerDuty!" in described
    assert "Maeve added as a responder" in described
    assert sum("Resolved in PagerDuty" in d for d in described) == 1
    assert answers[0].json()["incident"] == incident.key


def test_the_same_events_shuffled_and_repeated_end_identically(world: World):
    source = pagerduty_source(world)
    for body in pd_sequence():
        post_pd(source, body)
    in_order = end_state(source)
    forget(source)
    shuffled = pd_sequence() * 2 + pd_sequence()[:2]
    random.Random(7).shuffle(shuffled)
    answers = [post_pd(source, body) for body in shuffled]
    assert {a.status_code for a in answers} == {200}
    assert end_state(source) == in_order
    verdicts = list(source.deliveries.values_list("verdict", flat=True))
    assert verdicts.count(Verdict.APPLIED) == 5
    assert verdicts.count(Verdict.DUPLICATE) == 7


def test_resolved_before_triggered_ends_resolved(world: World):
    source = pagerduty_source(world)
    sequence = pd_sequence()
    for body in reversed(sequence):
        post_pd(source, body)
    incident = Incident.objects.get(intake_refs__source=source)
    assert incident.status == "resolved"
    assert incident.resolved_at.isoformat() == "2020-04-09T16:50:00+00:00"


def test_a_reopened_incident_is_open_again_until_resolved_again(world: World):
    source = pagerduty_source(world)
    for body in pd_sequence():
        post_pd(source, body)
    post_pd(source, pd_event("incident.reopened", "2020-04-09T17:00:00Z", "ev-6"))
    incident = Incident.objects.get(intake_refs__source=source)
    assert (incident.status, incident.resolved_at) == ("investigating", None)
    post_pd(source, pd_event("incident.resolved", "2020-04-09T17:30:00Z", "ev-7"))
    incident.refresh_from_db()
    assert incident.resolved_at.isoformat() == "2020-04-09T17:30:00+00:00"


def test_a_forged_or_missing_signature_changes_nothing(world: World):
    source = pagerduty_source(world)
    body = pd_sequence()[0]
    forged = post(source, body, **{"X-PagerDuty-Signature": sign(body, "another secret")})
    missing = post(source, body)
    assert (forged.status_code, missing.status_code) == (401, 401)
    assert "X-PagerDuty-Signature" in missing.json()["detail"]
    assert not Incident.objects.exists()
    refusals = list(source.deliveries.all())
    assert [d.verdict for d in refusals] == [Verdict.REFUSED] * 2
    assert all(d.body == "" for d in refusals)  # nothing of the payload is kept


def test_several_signatures_during_a_rotation_are_accepted(world: World):
    source = pagerduty_source(world)
    body = pd_sequence()[0]
    both = sign(body, "the old secret") + "," + sign(body)
    assert post(source, body, **{"X-PagerDuty-Signature": both}).status_code == 200


def test_unknown_events_are_recorded_and_answered_202(world: World):
    source = pagerduty_source(world)
    service_updated = json.dumps(
        next(
            e["value"]
            for e in contract("pagerduty/webhooks-v3.examples.json")["examples"]
            if e["section"] == "Webhook Payload"
            and e["value"]["event"]["event_type"] == "service.updated"
        )
    ).encode()
    answer = post_pd(source, service_updated)
    assert answer.status_code == 202
    delivery = source.deliveries.get()
    assert (delivery.verdict, delivery.event_type) == (Verdict.UNKNOWN, "service.updated")
    assert not Incident.objects.exists()


def test_a_signed_payload_that_is_not_pagerduty_s_is_400_and_kept(world: World):
    source = pagerduty_source(world)
    for body, said in ((b"{not json", "invalid JSON"), (b'{"event": 3}', "event")):
        answer = post_pd(source, body)
        assert answer.status_code == 400
        assert said in answer.json()["detail"]
    assert list(source.deliveries.values_list("verdict", flat=True)) == [Verdict.INVALID] * 2


def test_rules_route_to_a_team_and_service_and_filter(world: World):
    source = pagerduty_source(
        world,
        rules=[{"when": {"service": "API Service"}, "team": "search", "service": "search-api"}],
    )
    post_pd(source, pd_sequence()[0])
    incident = Incident.objects.get()
    assert (incident.team.slug, incident.service.slug) == ("search", "search-api")
    save_source(world.org, source, rules=[{"when": {"priority": "P5"}, "team": "search"}])
    other = pd_example("incident")
    other["id"] = "POTHER1"
    answer = post_pd(source, pd_event("incident.triggered", "2020-05-01T10:00:00Z", "ev-9", other))
    assert answer.status_code == 202
    assert source.deliveries.order_by("-id").first().verdict == Verdict.IGNORED
    assert Incident.objects.count() == 1


def test_the_severity_mapping_is_the_source_s(world: World):
    source = pagerduty_source(world, severity_map={"P1": 3})
    post_pd(source, pd_sequence()[0])
    assert Incident.objects.get().severity == 3


def test_replay_applies_again_without_doing_anything_twice(world: World):
    source = pagerduty_source(world)
    for body in pd_sequence():
        post_pd(source, body)
    before = end_state(source)
    note = source.deliveries.get(event_type="incident.annotated")
    client = world.client_for(world.admin)
    answer = client.post(f"/api/v1/intake/deliveries/{note.pk}/replay")
    assert answer.status_code == 200, answer.content
    assert (answer.json()["verdict"], answer.json()["replays"]) == ("applied", 1)
    assert end_state(source) == before
    page = client.post(f"/settings/intake/deliveries/{note.pk}/replay/", follow=True)
    assert "Replayed" in page.content.decode()


# --- Alertmanager ----------------------------------------------------------------------------


def alertmanager_source(world: World, **more: Any) -> IntakeSource:
    return save_source(
        world.org,
        kind=IntakeKind.ALERTMANAGER,
        name="Alertmanager",
        team="payments",
        secret=SECRET,
        rules=[{"when": {"severity": "page"}, "team": "payments", "service": "checkout"}],
        **more,
    )


def am_notifications() -> tuple[bytes, bytes]:
    """The documented firing notification, and the same group resolved 20 minutes later."""
    firing = contract("alertmanager/webhook.example.constructed.json")
    firing.pop("_comment")
    resolved = copy.deepcopy(firing)
    resolved["status"] = "resolved"
    for alert in resolved["alerts"]:
        alert["status"] = "resolved"
        if alert["endsAt"].startswith("0001"):
            alert["endsAt"] = "2024-03-05T10:07:12.345Z"
    return json.dumps(firing).encode(), json.dumps(resolved).encode()


def bearer(secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_an_alertmanager_group_opens_an_incident_and_its_resolution_resolves_it(world: World):
    source = alertmanager_source(world)
    firing, resolved = am_notifications()
    assert post(source, firing, **bearer()).status_code == 200
    incident = Incident.objects.get()
    assert incident.title == "5xx ratio above 5% for 10m"
    assert (incident.status, incident.severity, incident.service) == (
        "investigating",
        2,
        world.checkout,
    )
    assert incident.started_at.isoformat() == "2024-03-05T09:47:12.345000+00:00"
    fired = incident.key_events.filter(description__startswith="Alert fired").count()
    assert fired == 2
    basic = base64.b64encode(f"alertmanager:{SECRET}".encode()).decode()
    assert post(source, resolved, Authorization=f"Basic {basic}").status_code == 200
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at.isoformat() == "2024-03-05T10:07:12.345000+00:00"
    assert incident.of_consequence is True  # SEV2 meets the default policy
    assert post(source, resolved, **bearer()).json()["verdict"] == "duplicate"


def test_alertmanager_in_reverse_order_ends_the_same(world: World):
    source = alertmanager_source(world)
    firing, resolved = am_notifications()
    post(source, firing, **bearer())
    post(source, resolved, **bearer())
    in_order = end_state(source)
    forget(source)
    post(source, resolved, **bearer())
    post(source, firing, **bearer())
    assert end_state(source) == in_order


def test_an_alertmanager_group_no_rule_matches_opens_nothing(world: World):
    source = alertmanager_source(world)
    warning = json.loads(am_notifications()[0])
    warning["commonLabels"]["severity"] = "warning"
    answer = post(source, json.dumps(warning).encode(), **bearer())
    assert answer.status_code == 202
    assert not Incident.objects.exists()


def test_alertmanager_without_the_right_secret_is_refused(world: World):
    source = alertmanager_source(world)
    firing = am_notifications()[0]
    assert post(source, firing).status_code == 401
    assert post(source, firing, **bearer("wrong")).status_code == 401
    assert post(source, firing, Authorization="Basic !!notbase64").status_code == 401
    assert not Incident.objects.exists()


# --- Opsgenie --------------------------------------------------------------------------------


def og_examples() -> dict[str, dict[str, Any]]:
    examples = contract("opsgenie/webhook-alert-action.examples.json")["examples"]
    return {e["name"]: e["value"] for e in examples}


def og_close(create: dict[str, Any], nanos_later: int) -> bytes:
    close = copy.deepcopy(create)
    close["action"] = "Close"
    close["alert"]["updatedAt"] = create["alert"]["createdAt"] * 1_000_000 + nanos_later
    return json.dumps(close).encode()


def test_opsgenie_create_acknowledge_close(world: World):
    source = save_source(
        world.org, kind=IntakeKind.OPSGENIE, name="Opsgenie", team="search", secret=SECRET
    )
    examples = og_examples()
    secret = {"X-Learnloop-Secret": SECRET}
    create, ack = examples["doc-create"], examples["doc-acknowledge"]
    for body in (create, ack):
        assert post(source, json.dumps(body).encode(), **secret).status_code == 200
    incident = Incident.objects.get()
    assert incident.title == "test alert"
    assert incident.started_at.isoformat() == "2015-01-05T10:03:11.104000+00:00"
    assert incident.team == world.search
    two_hours = 2 * 3600 * 10**9
    assert post(source, og_close(create, two_hours), **secret).status_code == 200
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.of_consequence is True  # lasted two hours: over the policy's hour
    real = json.dumps(examples["real-capture-create"]).encode()
    assert post(source, real, **secret).status_code == 200
    assert Incident.objects.get(title="asdf").severity == 3  # P3
    unknown = json.dumps({**create, "action": "TakeOwnership"}).encode()
    assert post(source, unknown, **secret).status_code == 202
    assert post(source, real, **{"X-Learnloop-Secret": "no"}).status_code == 401


# --- bad input and the API -------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    payload=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "event",
                        "data",
                        "id",
                        "event_type",
                        "occurred_at",
                        "incident",
                        "title",
                        "priority",
                        "summary",
                        "created_at",
                        "service",
                        "x",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_any_signed_payload_gets_an_answer_and_never_a_crash(world: World, payload: Any):
    source = IntakeSource.objects.filter(organisation=world.org).first() or pagerduty_source(world)
    event = {
        "event": {
            "id": "fuzz",
            "event_type": "incident.triggered",
            "occurred_at": "2020-01-01T00:00:00Z",
            "data": payload,
        }
    }
    for body in (json.dumps(payload).encode(), json.dumps(event).encode()):
        answer = post_pd(source, body)
        assert answer.status_code in (200, 202, 400, 422), answer.content


def test_text_the_databases_cannot_store_is_cleaned(world: World):
    source = pagerduty_source(world)
    data = pd_example("incident")
    data["title"] = "bad\u0000 \ud800 title"
    body = json.dumps(
        {
            "event": {
                "id": "x",
                "event_type": "incident.triggered",
                "occurred_at": "2020-01-01T00:00:00Z",
                "data": data,
            }
        }
    ).encode()
    assert post_pd(source, body).status_code == 200
    assert Incident.objects.get().title == "bad ? title"


def test_an_admin_adds_a_source_through_the_api_and_gets_its_address(world: World):
    client = world.client_for(world.admin)
    answer = client.post(
        "/api/v1/intake/sources",
        {"kind": "pagerduty", "name": "PD", "team": "payments", "secret": "s3cret"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["receive_url"].startswith("http://testserver/intake/")
    assert made["severity_map"]["P1"] == 1
    assert "s3cret" not in answer.content.decode()
    bad = client.post(
        "/api/v1/intake/sources",
        {
            "kind": "alertmanager",
            "name": "AM",
            "team": "nobody",
            "secret": "s",
            "rules": [{"when": {"severity": "critical"}, "team": "ghosts"}],
            "severity_map": {"critical": 9},
        },
        content_type="application/json",
    )
    assert bad.status_code == 422
    fields = {e["field"]: e["message"] for e in bad.json()["detail"]}
    assert set(fields) == {"team", "rules", "severity_map"}
    assert "Rule 1: there is no team 'ghosts'" in fields["rules"]
    assert not IntakeSource.objects.filter(name="AM").exists()
    changed = client.patch(
        f"/api/v1/intake/sources/{made['id']}", {"active": False}, content_type="application/json"
    )
    assert changed.json()["active"] is False
    paused = IntakeSource.objects.get(pk=made["id"])
    assert post(paused, b"{}").status_code == 404


def test_the_settings_pages_add_a_source_and_list_its_deliveries(world: World):
    client = world.client_for(world.admin)
    answer = client.post(
        "/settings/intake/",
        {
            "kind": "alertmanager",
            "name": "Prometheus",
            "team": "payments",
            "secret": SECRET,
            "rules": "severity=page, job=api -> payments/checkout\n* -> search",
            "severities": "page = 1\nwarning = 3",
            "people": "",
            "active": "on",
        },
        follow=True,
    )
    source = IntakeSource.objects.get(name="Prometheus")
    assert source.rules[0] == {
        "when": {"severity": "page", "job": "api"},
        "team": "payments",
        "service": "checkout",
    }
    assert source.rules[1]["when"] == {}
    text = answer.content.decode()
    assert source.receive_path() in text
    post(source, am_notifications()[0], **bearer())
    page = client.get(f"/settings/intake/{source.pk}/").content.decode()
    assert "applied to an incident" in page
    wrong = client.post(
        f"/settings/intake/{source.pk}/",
        {
            "kind": "alertmanager",
            "name": "Prometheus",
            "team": "payments",
            "rules": "severity=page",
            "severities": "page = 7",
        },
    )
    said = wrong.content.decode()
    assert "Line 1: expected" in said and "is not a severity 1-5" in said
    delivery = source.deliveries.get()
    assert (
        "HighErrorRate"
        in client.get(f"/settings/intake/deliveries/{delivery.pk}/").content.decode()
    )


def test_other_organisations_and_non_admins_see_no_source(world: World):
    source = pagerduty_source(world)
    post_pd(source, pd_sequence()[0])
    delivery = source.deliveries.get()
    for user in (world.outsider, world.payments_pm):
        client = world.client_for(user)
        assert client.get(f"/settings/intake/{source.pk}/").status_code in (403, 404)
        assert client.get(f"/api/v1/intake/sources/{source.pk}").status_code in (403, 404)
        assert client.post(f"/api/v1/intake/deliveries/{delivery.pk}/replay").status_code in (
            403,
            404,
        )


def test_a_refused_delivery_cannot_be_replayed(world: World):
    source = pagerduty_source(world)
    post(source, b"{}")
    refused = source.deliveries.get()
    with pytest.raises(ValueError, match="nothing to replay"):
        services.replay(refused)
    assert IntakeDelivery.objects.count() == 1
    assert not KeyEvent.objects.exists()


def test_a_delivery_that_fails_to_apply_is_kept_and_can_be_replayed(world: World, monkeypatch):
    source = pagerduty_source(world)
    body = pd_sequence()[0]

    def broken(*args: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "apply", broken)
    client = Client(raise_request_exception=False)
    answer = client.post(
        source.receive_path(),
        data=body,
        content_type="application/json",
        headers={"X-PagerDuty-Signature": sign(body)},
    )
    assert answer.status_code == 500  # the tool sends it again
    kept = source.deliveries.get()
    assert (kept.verdict, kept.body) == (Verdict.FAILED, body.decode())
    assert not Incident.objects.exists()
    monkeypatch.undo()
    assert post_pd(source, body).json()["verdict"] == "applied"  # the tool's retry
    assert services.replay(kept).verdict == Verdict.APPLIED
    assert Incident.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_events_of_one_incident_arriving_together_make_one_incident(world: World, live_server):
    """Over real sockets, all of a sequence at once (and each twice), as a busy tool sends."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    source = pagerduty_source(world)

    def send(body: bytes) -> int:
        request = urllib.request.Request(
            live_server.url + source.receive_path(),
            data=body,
            headers={"Content-Type": "application/json", "X-PagerDuty-Signature": sign(body)},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, pd_sequence() * 2))
    assert codes == [200] * 10
    incident = Incident.objects.get(intake_refs__source=source)
    assert incident.status == "resolved"
    assert sorted(source.deliveries.values_list("verdict", flat=True)) == sorted(
        [Verdict.APPLIED] * 5 + [Verdict.DUPLICATE] * 5
    )


def test_opsgenie_events_shuffled_and_repeated_end_identically(world: World):
    source = save_source(
        world.org, kind=IntakeKind.OPSGENIE, name="Opsgenie", team="search", secret=SECRET
    )
    examples = og_examples()
    create, ack = examples["doc-create"], examples["doc-acknowledge"]
    bodies = [json.dumps(create).encode(), json.dumps(ack).encode(), og_close(create, 7200 * 10**9)]
    secret = {"X-Learnloop-Secret": SECRET}
    for body in bodies:
        post(source, body, **secret)
    in_order = end_state(source)
    forget(source)
    shuffled = bodies * 2
    random.Random(3).shuffle(shuffled)
    assert {post(source, body, **secret).status_code for body in shuffled} == {200}
    assert end_state(source) == in_order
