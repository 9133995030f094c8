from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from learnloop.accounts.models import ApiToken
from learnloop.incidents.services import record_incident
from tests.conftest import World, utc


def bearer(user) -> Client:
    _, raw = ApiToken.issue(user, "test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post(client: Client, url: str, data: dict, method: str = "post"):
    return getattr(client, method)(url, data, content_type="application/json")


def test_recording_through_the_api_applies_the_policy_and_opens_analysis(world: World):
    api = bearer(world.payments_pm)
    response = post(
        api,
        "/api/v1/incidents",
        {
            "title": "Checkout down",
            "service": "checkout",
            "severity": 1,
            "started_at": "2026-11-20T09:00:00Z",
            "responders": [{"email": "alice@acme.test", "response_role": "incident_commander"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == "payments" and body["of_consequence"] is True
    assert body["responders"] == [
        {"email": "alice@acme.test", "response_role": "incident_commander"}
    ]
    assignments = api.get(f"/api/v1/incidents/{body['key']}/assignments").json()
    assert [a["analyst"] for a in assignments] == ["alice@acme.test"]


def test_invalid_input_names_the_field(world: World):
    api = bearer(world.payments_pm)
    response = post(api, "/api/v1/incidents", {"title": "X", "severity": 9})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "severity"
    response = post(
        api,
        "/api/v1/incidents",
        {"title": "X", "started_at": "2026-11-20T09:00:00Z", "resolved_at": "2026-11-20T08:00:00Z"},
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": "resolved_at", "message": "This cannot come before the incident started."}
    ]
    response = post(api, "/api/v1/incidents", {"title": "X", "responders": [{"email": "no@x"}]})
    assert response.json()["detail"][0]["field"] == "responders.0.email"


def test_the_list_filters_and_pages(world: World):
    for day in range(1, 6):
        record_incident(
            world.org,
            None,
            title=f"Payments {day}",
            team=world.payments,
            severity=2,
            started_at=utc(2026, 3, day),
        )
    record_incident(
        world.org, None, title="Search", team=world.search, severity=4, started_at=utc(2026, 3, 9)
    )
    api = bearer(world.member)
    page = api.get("/api/v1/incidents", {"team": "payments", "limit": 2}).json()
    assert [i["title"] for i in page["items"]] == ["Payments 5", "Payments 4"]
    assert page["next_offset"] == 2
    last = api.get("/api/v1/incidents", {"team": "payments", "limit": 2, "offset": 4}).json()
    assert [i["title"] for i in last["items"]] == ["Payments 1"] and last["next_offset"] is None
    assert (
        api.get("/api/v1/incidents", {"started_from": "2026-03-08"}).json()["items"][0]["title"]
        == "Search"
    )
    assert api.get("/api/v1/incidents", {"limit": 500}).status_code == 422
    for item in api.get("/api/v1/incidents").json()["items"]:
        assert item["url"] == reverse("incident_detail", args=[item["key"]])


def test_the_list_issues_the_same_queries_for_3_or_40_incidents(
    world: World, django_assert_max_num_queries
):
    api = bearer(world.member)
    for n in range(3):
        record_incident(world.org, None, title=f"I{n}", team=world.payments)
    api.get("/api/v1/incidents")  # warm caches that are not per-request
    with django_assert_max_num_queries(6) as few:
        api.get("/api/v1/incidents")
    for n in range(37):
        record_incident(world.org, None, title=f"J{n}", team=world.payments)
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get("/api/v1/incidents")


def test_another_organisation_gets_404_and_no_credentials_401(world: World):
    incident = record_incident(world.org, None, title="Secret")
    assert bearer(world.outsider).get(f"/api/v1/incidents/{incident.key}").status_code == 404
    assert Client().get(f"/api/v1/incidents/{incident.key}").status_code == 401
    token, raw = ApiToken.issue(world.admin, "old")
    token.revoke()
    revoked = Client(headers={"Authorization": f"Bearer {raw}"})
    assert revoked.get("/api/v1/incidents").status_code == 401


def test_a_token_speaks_for_its_live_person_and_their_organisation_only(world: World):
    """The token and the membership are read together; each way it can fail is still told."""
    keep, kept = ApiToken.issue(world.alice, "kept")
    gone, revoked = ApiToken.issue(world.alice, "revoked")
    gone.revoke()
    assert (
        Client(headers={"Authorization": f"Bearer {kept}"}).get("/api/v1/incidents").status_code
        == 200
    )
    refused = Client(headers={"Authorization": f"Bearer {revoked}"}).get("/api/v1/incidents")
    assert refused.status_code == 401  # another live token of the same person changes nothing
    keep.refresh_from_db()
    assert keep.last_used_at is not None
    nobody = User.objects.create_user("nobody@acme.test", "nobody@acme.test")
    assert bearer(nobody).get("/api/v1/incidents").status_code == 403  # no organisation
    world.alice.is_active = False
    world.alice.save()
    assert (
        Client(headers={"Authorization": f"Bearer {kept}"}).get("/api/v1/incidents").status_code
        == 401
    )


def test_a_member_may_read_but_not_record(world: World):
    assert post(bearer(world.member), "/api/v1/incidents", {"title": "X"}).status_code == 403


def test_manual_decisions_need_a_manager_and_a_reason(world: World):
    incident = record_incident(world.org, None, title="Odd", team=world.payments, severity=5)
    url = f"/api/v1/incidents/{incident.key}/decisions"
    decision = {"of_consequence": True, "reason": "Near miss"}
    assert post(bearer(world.alice), url, decision).status_code == 403
    assert (
        post(bearer(world.payments_pm), url, {"of_consequence": True, "reason": ""}).status_code
        == 422
    )
    assert post(bearer(world.payments_pm), url, decision).status_code == 201
    history = bearer(world.member).get(url).json()
    assert [(d["by_policy"], d["decided_by"]) for d in history] == [
        (True, None),
        (False, "ppm@acme.test"),
    ]


def test_patch_changes_only_what_is_given(world: World):
    incident = record_incident(world.org, None, title="Old", team=world.payments, severity=4)
    response = post(
        bearer(world.payments_pm),
        f"/api/v1/incidents/{incident.key}",
        {"severity": 1},
        method="patch",
    )
    assert response.json()["title"] == "Old" and response.json()["of_consequence"] is True


def test_the_openapi_description_is_served(db):
    spec = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents" in spec["paths"]


def test_list_addresses_follow_the_script_prefix() -> None:
    """The list's addresses are made once per script prefix, not once per process."""
    from django.urls import get_script_prefix, set_script_prefix

    from learnloop.api.incidents import detail_addresses

    before = get_script_prefix()
    try:
        assert detail_addresses()("INC-7") == f"{before}incidents/INC-7/"
        set_script_prefix("/learning/")
        assert detail_addresses()("INC-7") == "/learning/incidents/INC-7/"
    finally:
        set_script_prefix(before)
    assert detail_addresses()("INC-7") == f"{before}incidents/INC-7/"
