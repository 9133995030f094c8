"""The audit trail: each kind of change is made the way people make it, and its entry is found
with who, when, from where, what, before and after; secrets never reach it; nobody can rewrite
it, not even with SQL; admins read it on a page, through the API and as JSON Lines."""

from __future__ import annotations

import io
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.db import DatabaseError, connection, transaction
from django.test import Client

from learnloop.accounts.models import ApiToken, Membership
from learnloop.actions.models import ActionKind
from learnloop.actions.services import add_action
from learnloop.analysis.models import Interview
from learnloop.audit.models import AuditAction, AuditEntry
from learnloop.audit.trail import Actor, acting_as
from learnloop.cli import main
from learnloop.costs.models import CostSettings, TeamCostProfile
from learnloop.incidents.services import policy_for, record_incident
from learnloop.intake import services
from learnloop.intake.models import IntakeSource
from learnloop.narratives import services as narratives
from learnloop.trackers.models import TrackerConnection
from tests.conftest import PASSWORD, SHARED, World
from tests.test_analysis import alices, severe_incident

TRACKER_TOKEN = "jira-token-never-in-the-trail"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/never-in-the-trail"
JSON = "application/json"


def found(action: str, **more: Any) -> AuditEntry:
    entry = AuditEntry.objects.filter(action=action, **more).order_by("-id").first()
    assert entry is not None, f"no {action} entry with {more}"
    return entry


def bearer(user: Any) -> Client:
    _, raw = ApiToken.issue(user, "audit test")
    return Client(headers={"Authorization": f"Bearer {raw}"}, REMOTE_ADDR="10.0.0.9")


def make_every_kind_of_change(world: World, tmp_path: Path) -> None:
    browser = Client(REMOTE_ADDR="10.1.2.3")
    browser.post("/login/", {"username": world.admin.email, "password": "wrong"})
    assert (
        browser.post("/login/", {"username": world.admin.email, "password": PASSWORD})["Location"]
        == "/"
    )
    browser.post("/account/tokens/", {"name": "nightly export"})
    token = ApiToken.objects.get(name="nightly export")
    browser.post(f"/account/tokens/{token.pk}/revoke/")

    for _ in range(5):
        Client(REMOTE_ADDR="10.5.5.5").post("/login/", {"username": "x@y.z", "password": "g"})
    attempt = AccessAttempt.objects.get(ip_address="10.5.5.5")
    browser.post("/settings/sign-in-locks/", {"attempt": attempt.pk})

    incident = severe_incident(world)
    manager = Client(REMOTE_ADDR="10.2.2.2")
    manager.force_login(world.payments_pm)
    manager.post(
        f"/incidents/{incident.key}/decide/",
        {"of_consequence": "no", "reason": "A test outage, no customer saw it"},
    )
    interview = Interview.objects.create(
        assignment=alices(incident), interviewee=world.bob, held_at=incident.started_at
    )
    analyst = Client(REMOTE_ADDR="10.3.3.3")
    analyst.force_login(world.alice)
    analyst.post(f"/interviews/{interview.pk}/share/", {"shared": "yes"})
    analyst.post(f"/interviews/{interview.pk}/share/", {"shared": "no"})

    api = bearer(world.payments_pm)
    for status, why in (("in_practice", "evidence"), ("wont_do", "reason")):
        action = add_action(incident, None, title=f"Action {status}", kind=ActionKind.CODE_FIX)
        api.post(
            f"/api/v1/actions/{action.uid}/transitions",
            {"status": status, why: "Because of the test"},
            content_type=JSON,
        )
    admin_api = bearer(world.admin)
    admin_api.post(
        "/api/v1/publishing/channels",
        {"kind": "slack", "name": "Incidents channel", "secret": SLACK_URL},
        content_type=JSON,
    )
    source = admin_api.post(
        "/api/v1/intake/sources",
        {"kind": "opsgenie", "name": "Opsgenie", "team": "payments", "secret": "og-secret"},
        content_type=JSON,
    ).json()
    source_row = IntakeSource.objects.get(pk=source["id"])
    admin_api.post(
        "/api/v1/event-subscriptions",
        {"url": "https://hooks.acme.test/learnloop", "types": ["review.held"]},
        content_type=JSON,
    )
    kept = services.keep(source_row, b"{}")
    admin_api.post(f"/api/v1/intake/deliveries/{kept.pk}/replay")
    outage = record_incident(world.org, None, title="Search outage", team=world.payments)
    narrative = narratives.narrative_for(outage)
    narratives.save_version(narrative, "## Summary\n\nIt broke.", None, 0)
    narratives.publish(narratives.change_status(narrative, "in_review"), world.payments_pm)

    with acting_as(Actor(user=world.admin, address="10.4.4.4")):
        connection_ = TrackerConnection(
            team=world.payments, kind="jira_cloud", base_url="https://acme.atlassian.net"
        )
        connection_.project = "PAY"
        connection_.token = TRACKER_TOKEN
        connection_.save()
        policy = policy_for(world.org)
        policy.max_severity = 3
        policy.save()
        costs, _ = CostSettings.objects.get_or_create(organisation=world.org)
        costs.default_rate = Decimal("90.00")
        costs.save()
        TeamCostProfile.objects.create(
            team=world.payments,
            headcount=8,
            loaded_annual_people_cost=Decimal("840000"),
            annual_run_cost=Decimal("96000"),
        )
        carol = Membership.objects.get(user=world.carol)
        carol.role = "product_manager"
        carol.save()
        Membership.objects.get(user=world.member).delete()

    stdin = io.StringIO("a long enough passphrase 42\n")
    original, sys.stdin = sys.stdin, stdin
    try:
        assert main(["user", "create", "new@acme.test", "--role", "member", "--org", "acme"]) == 0
    finally:
        sys.stdin = original
    report = sorted((SHARED / "data" / "incidents").glob("*.json"))[0]
    assert main(["import", str(report), "--org", "acme"]) == 0
    assert main(["export", "--org", "acme", "--output", str(tmp_path / "out.json")]) == 0
    assert main(["backup", str(tmp_path / "all.zip")]) == 0
    browser.post("/logout/")


def test_every_kind_of_change_is_found_in_the_trail(world: World, tmp_path: Path):
    make_every_kind_of_change(world, tmp_path)
    # Each kind has its entry (a restore is recorded in the restored system: test_backup.py).
    for action in set(AuditAction.values) - {AuditAction.RESTORED}:
        found(action)

    signed_in = found(AuditAction.SIGN_IN, actor=world.admin, address="10.1.2.3")
    assert signed_in.organisation_id == world.org.pk and signed_in.actor_label == world.admin.email
    failed = found(AuditAction.SIGN_IN_FAILED, target=world.admin.email)
    assert failed.actor is None and failed.address == "10.1.2.3"
    assert found(AuditAction.SIGN_OUT).actor == world.admin
    assert "10.5.5.5" in found(AuditAction.LOCK_LIFTED, actor=world.admin).target
    revoked = found(AuditAction.TOKEN_REVOKED, actor=world.admin, address="10.1.2.3")
    assert "nightly export" in revoked.target and revoked.before == {"revoked_at": None}
    decided = found(AuditAction.CONSEQUENCE_DECIDED, actor=world.payments_pm, address="10.2.2.2")
    assert decided.before == {"of_consequence": True}
    assert decided.after == {"of_consequence": False, "reason": "A test outage, no customer saw it"}
    shared = found(AuditAction.NOTES_SHARED, actor=world.alice, address="10.3.3.3")
    assert shared.after == {"shared_with_review": True} and "bob@acme.test" in shared.target
    assert found(AuditAction.NOTES_UNSHARED).before == {"shared_with_review": True}
    closed = found(AuditAction.ACTION_IN_PRACTICE, actor=world.payments_pm, address="10.0.0.9")
    assert closed.after["why"] == "Because of the test"
    assert found(AuditAction.ACTION_WONT_DO).after["status"] == "wont_do"
    channel = found(AuditAction.CHANNEL_CHANGED, actor=world.admin)
    assert (
        channel.after["secret_sealed"] == "(set)" and channel.after["name"] == "Incidents channel"
    )
    tracker = found(AuditAction.TRACKER_CHANGED, address="10.4.4.4")
    assert tracker.after["token_sealed"] == "(set)" and tracker.after["project"] == "PAY"
    assert found(AuditAction.POLICY_CHANGED).after == {"max_severity": 3}
    assert found(AuditAction.POLICY_CHANGED).before == {"max_severity": 2}
    assert found(AuditAction.COST_SETTINGS_CHANGED).after == {"default_rate": "90.00"}
    member = found(AuditAction.MEMBER_CHANGED, target=world.carol.email)
    assert (member.before, member.after) == ({"role": "responder"}, {"role": "product_manager"})
    assert found(AuditAction.MEMBER_REMOVED).target == world.member.email
    added = found(AuditAction.MEMBER_ADDED, target="new@acme.test")
    assert (added.address, added.actor_label) == ("cli", "command line")
    assert found(AuditAction.IMPORTED).after["created"] == 1
    assert found(AuditAction.EXPORTED).address == "cli"
    assert found(AuditAction.BACKED_UP).target == str(tmp_path / "all.zip")
    assert found(AuditAction.NARRATIVE_PUBLISHED).after == {"title": "Search outage"}
    intake = found(AuditAction.INTAKE_CHANGED, actor=world.admin)
    assert intake.after["secret_sealed"] == "(set)" and intake.after["name"] == "Opsgenie"
    assert "intake source 'Opsgenie'" in found(AuditAction.INTAKE_REPLAYED).target
    subscribed = found(AuditAction.SUBSCRIPTION_CHANGED, actor=world.admin)
    assert subscribed.after["secret_sealed"] == "(set)" and subscribed.after["types"] == [
        "review.held"
    ]

    everything = json.dumps([[e.before, e.after, e.target] for e in AuditEntry.objects.all()])
    assert TRACKER_TOKEN not in everything and "never-in-the-trail" not in everything
    assert "og-secret" not in everything
    assert "a long enough passphrase" not in everything and PASSWORD not in everything


def test_nobody_rewrites_the_trail_not_even_with_sql(world: World):
    record_incident(world.org, None, title="Anything")
    with acting_as(Actor(user=world.admin, address="10.0.0.1")):
        policy = policy_for(world.org)
        policy.max_severity = 1
        policy.save()
    entry = AuditEntry.objects.first()
    assert entry is not None
    for refuse in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(target="nothing happened"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="never changed or deleted"), transaction.atomic():
            refuse()
    for sql in ("UPDATE audit_auditentry SET target = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
            connection.cursor().execute(sql)
    # People and organisations can still go: the trail keeps their names.
    world.carol.delete()
    assert AuditEntry.objects.get(pk=entry.pk).target == entry.target


def test_admins_read_filter_page_and_download_the_trail(world: World, tmp_path: Path):
    make_every_kind_of_change(world, tmp_path)
    admin = world.client_for(world.admin)

    def table(**filters: str) -> str:
        page = admin.get("/settings/audit/", filters).content.decode()
        return page.split('<table id="audit">')[1].split("</table>")[0]

    shared = table(action="notes_shared")
    assert "shared interview notes with the review" in shared and "10.3.3.3" in shared
    assert "revoked an API token" not in shared
    by_who = table(actor="pm@acme")
    assert "decided by hand" in by_who and "shared interview notes" not in by_who

    lines = b"".join(admin.get("/settings/audit/", {"format": "jsonl"}).streaming_content)
    rows = [json.loads(line) for line in lines.decode().splitlines()]
    assert len(rows) == AuditEntry.objects.filter(organisation=world.org).count()
    assert {"at", "actor", "address", "action", "target", "before", "after"} <= set(rows[0])

    api = bearer(world.admin)
    first = api.get("/api/v1/audit", {"limit": 5}).json()
    assert len(first["items"]) == 5 and first["next_offset"] == 5
    second = api.get("/api/v1/audit", {"limit": 5, "offset": 5}).json()
    assert {i["at"] + i["action"] for i in first["items"]}.isdisjoint(
        {i["at"] + i["action"] for i in second["items"]}
    )
    items = api.get("/api/v1/audit", {"action": "notes_shared"}).json()["items"]
    assert [i["address"] for i in items] == ["10.3.3.3"]
    assert api.get("/api/v1/audit", {"action": "nonsense"}).status_code == 422
    assert bearer(world.payments_pm).get("/api/v1/audit").status_code == 403
    # Another organisation's admin sees none of it.
    assert (
        world.client_for(world.outsider).get("/settings/audit/").content.decode().count("10.3.3.3")
        == 0
    )


def test_filters_that_no_entry_could_hold_find_nothing_instead_of_failing(world: World):
    api = bearer(world.admin)
    for raw in ("a%ED%A0%80b", "%FF"):  # an encoded lone surrogate, not UTF-8
        answer = api.get(f"/api/v1/audit?actor={raw}&target={raw}")
        assert answer.status_code == 200 and answer.json()["items"] == [], raw
        page = world.client_for(world.admin).get(f"/settings/audit/?actor={raw}")
        assert page.status_code == 200
    # A NUL is refused for every address before any view reads it (learnloop/middleware.py).
    answer = api.get("/api/v1/audit?actor=%00")
    assert answer.status_code == 400 and "'actor'" in answer.content.decode()
