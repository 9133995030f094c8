"""Channel settings (who may, what the form says), "send a test", the deliveries page with
"send again", and the API: secrets go in and never come out; organisations stay apart."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse

from learnloop.accounts.models import ApiToken
from learnloop.publishing.models import ChannelKind, Delivery, DeliveryState, PublishChannel
from tests.conftest import World
from tests.fake_publishing import BODY, FakePublishing, SmtpServer, publish
from tests.test_delivery import an_incident, channel, work


@pytest.fixture
def fake(settings) -> Iterator[FakePublishing]:
    settings.ALLOW_PRIVATE_DESTINATIONS = True
    settings.HTTP_TIMEOUT = 2.0
    server = FakePublishing()
    yield server
    server.close()


@pytest.fixture
def smtp(settings) -> Iterator[SmtpServer]:
    server = SmtpServer()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    yield server
    server.close()


def api_for(user) -> Client:
    _, raw = ApiToken.issue(user, "t")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_only_admins_set_organisation_channels_and_a_pm_their_teams(world: World):
    assert world.client_for(world.admin).get(reverse("org_channels")).status_code == 200
    for user in (world.payments_pm, world.alice, world.member):
        assert world.client_for(user).get(reverse("org_channels")).status_code == 403
    team_page = reverse("team_channels", args=["payments"])
    assert world.client_for(world.payments_pm).get(team_page).status_code == 200
    assert world.client_for(world.search_pm).get(team_page).status_code == 403
    assert world.client_for(world.alice).get(team_page).status_code == 403
    foreign = PublishChannel.objects.create(
        organisation=world.other_org, kind=ChannelKind.EMAIL, name="x", recipients="a@b.test"
    )
    edit = reverse("channel_edit", args=[foreign.pk])
    assert world.client_for(world.admin).get(edit).status_code == 404


def test_the_form_says_what_is_wrong_and_where(world: World):
    client = world.client_for(world.admin)
    page = client.post(
        reverse("org_channels"),
        {"kind": "email", "name": "All", "enabled": "on", "recipients": "a@acme.test\nnot-mail"},
    )
    assert page.status_code == 422
    assert "Line 2: &#x27;not-mail&#x27; is not an email address." in page.content.decode()
    page = client.post(reverse("org_channels"), {"kind": "slack", "name": "Slack"})
    assert "Paste the incoming webhook URL Slack gave you." in page.content.decode()
    page = client.post(
        reverse("org_channels"),
        {
            "kind": "confluence_cloud",
            "name": "Wiki",
            "base_url": "https://acme.atlassian.net",
            "space": "ENG",
            "account": "nobody",
            "secret": "t",
            "parent_id": "top",
        },
    )
    text = page.content.decode()
    assert "Confluence Cloud names a space by its numeric id." in text
    assert "The email address of the Atlassian account." in text
    assert "A page id is a number" in text
    page = client.post(
        reverse("org_channels"),
        {
            "kind": "confluence_dc",
            "name": "DC",
            "base_url": "https://wiki.acme.test",
            "space": "no spaces",
            "secret": "t",
        },
    )
    assert "A space key, such as ENG" in page.content.decode()
    assert not PublishChannel.objects.exists()


def test_a_saved_secret_is_encrypted_and_never_shown_again(world: World, fake: FakePublishing):
    client = world.client_for(world.payments_pm)
    page = reverse("team_channels", args=["payments"])
    saved = client.post(
        page, {"kind": "slack", "name": "#payments", "enabled": "on", "secret": fake.slack_url}
    )
    assert saved.status_code == 302
    created = PublishChannel.objects.get()
    assert created.team == world.payments and created.secret == fake.slack_url
    assert "secret-token" not in created.secret_sealed
    assert "secret-token" not in client.get(page).content.decode()
    edit = reverse("channel_edit", args=[created.pk])
    assert "secret-token" not in client.get(edit).content.decode()
    # Saving without a secret keeps the stored one.
    assert client.post(edit, {"kind": "slack", "name": "#pay", "enabled": "on"}).status_code == 302
    created.refresh_from_db()
    assert created.name == "#pay" and created.secret == fake.slack_url


def test_send_a_test_posts_to_slack_and_shows_the_outcome(world: World, fake: FakePublishing):
    made = channel(world, ChannelKind.SLACK, fake, team=world.payments)
    client = world.client_for(world.payments_pm)
    answer = client.post(reverse("channel_test", args=[made.pk]), headers={"HX-Request": "true"})
    assert answer.status_code == 200 and "ok" in answer.content.decode()
    assert fake.state.posts[0]["blocks"][0]["text"]["text"].startswith("Test from learnloop")
    fake.state.faults = ["410"]
    answer = client.post(reverse("channel_test", args=[made.pk]), headers={"HX-Request": "true"})
    assert "channel_is_archived" in answer.content.decode()
    made.refresh_from_db()
    assert made.last_test_ok is False


def test_send_a_test_email_and_a_confluence_space_check(
    world: World, fake: FakePublishing, smtp: SmtpServer
):
    mail = channel(world, ChannelKind.EMAIL)
    wiki = channel(world, ChannelKind.CONFLUENCE_DC, fake)
    client = world.client_for(world.admin)
    client.post(reverse("channel_test", args=[mail.pk]))
    client.post(reverse("channel_test", args=[wiki.pk]))
    mail.refresh_from_db()
    wiki.refresh_from_db()
    assert mail.last_test_ok and len(smtp.mailbox.messages) == 1
    assert wiki.last_test_ok and "ENG" in wiki.last_test


def test_the_team_sees_every_attempt_and_sends_an_in_doubt_one_again(
    world: World, fake: FakePublishing
):
    channel(world, ChannelKind.SLACK, fake)
    incident = an_incident(world)
    publish(incident, BODY)
    fake.state.faults = ["drop"]
    work()
    page = reverse("narrative_deliveries", kwargs={"key": incident.key})
    text = world.client_for(world.bob).get(page).content.decode()
    assert "In doubt" in text and "Send again" in text and "cannot be asked" in text
    assert "Send again" in world.client_for(world.problem_manager).get(page).content.decode()
    # Another team's engineer and another organisation do not see it.
    assert world.client_for(world.carol).get(page).status_code == 404
    assert world.client_for(world.outsider).get(page).status_code == 404
    delivery = Delivery.objects.get()
    resend = reverse("delivery_resend", args=[delivery.uid])
    assert world.client_for(world.carol).post(resend).status_code == 404
    assert world.client_for(world.alice).post(resend).status_code == 302
    work()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.SENT and len(fake.state.posts) == 2
    text = world.client_for(world.alice).get(page).content.decode()
    assert "requeued" in text and "Sent again at the request of Alice Analyst" in text


def test_the_api_manages_channels_with_write_only_secrets(world: World, fake: FakePublishing):
    admin = api_for(world.admin)
    created = admin.post(
        "/api/v1/publishing/channels",
        {"kind": "slack", "name": "#incidents", "secret": fake.slack_url},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["has_secret"] and "secret" not in body and "secret-token" not in created.text
    bad = admin.post(
        "/api/v1/publishing/channels",
        {"kind": "email", "name": "List", "recipients": ["ok@acme.test", "nope"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == [
        {"field": "recipients", "message": "Line 2: 'nope' is not an email address."}
    ]
    changed = admin.patch(
        f"/api/v1/publishing/channels/{body['id']}",
        {"enabled": False},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert PublishChannel.objects.get().secret == fake.slack_url
    tested = admin.post(f"/api/v1/publishing/channels/{body['id']}/test")
    assert tested.json()["last_test_ok"] is True
    listed = admin.get("/api/v1/publishing/channels").json()
    assert [c["name"] for c in listed] == ["#incidents"]
    assert "secret-token" not in json.dumps(listed)

    pm = api_for(world.payments_pm)
    assert pm.get("/api/v1/publishing/channels").json() == []
    refused = pm.post(
        "/api/v1/publishing/channels",
        {"kind": "email", "name": "Org list", "recipients": ["a@acme.test"]},
        content_type="application/json",
    )
    assert refused.status_code == 403
    team = pm.post(
        "/api/v1/publishing/channels",
        {"kind": "email", "name": "Payments", "team": "payments", "recipients": ["a@acme.test"]},
        content_type="application/json",
    )
    assert team.status_code == 201 and team.json()["team"] == "payments"
    assert pm.delete(f"/api/v1/publishing/channels/{body['id']}").status_code == 404
    assert admin.delete(f"/api/v1/publishing/channels/{body['id']}").status_code == 204
    outsider = api_for(world.outsider)
    assert outsider.get("/api/v1/publishing/channels").json() == []


def test_the_api_reports_deliveries_and_sends_a_failed_one_again(
    world: World, fake: FakePublishing
):
    channel(world, ChannelKind.SLACK, fake)
    incident = an_incident(world)
    publish(incident, BODY)
    fake.state.faults = ["400"]
    work()
    team = api_for(world.bob)
    [delivery] = team.get(f"/api/v1/narratives/{incident.key}/deliveries").json()
    assert delivery["state"] == "failed" and delivery["revision"] == 1
    assert delivery["log"][0]["status_code"] == 400
    assert "invalid_payload" in delivery["log"][0]["detail"]
    again = team.post(f"/api/v1/deliveries/{delivery['uid']}/send-again")
    assert again.status_code == 202 and again.json()["state"] == "queued"
    repeat = team.post(f"/api/v1/deliveries/{delivery['uid']}/send-again")
    assert repeat.status_code == 422
    work()
    [delivery] = team.get(f"/api/v1/narratives/{incident.key}/deliveries").json()
    assert delivery["state"] == "sent"
    assert [a["outcome"] for a in delivery["log"]] == ["failed", "requeued", "sent"]
    assert (
        api_for(world.carol).get(f"/api/v1/narratives/{incident.key}/deliveries").status_code == 404
    )
    member = api_for(world.member)
    assert member.get(f"/api/v1/narratives/{incident.key}/deliveries").status_code == 404
