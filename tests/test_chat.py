"""Chat history as evidence: a Slack export's channel becomes timeline candidates, which each
analyst turns into key events or dismisses; bad archives are refused with nothing written."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.analysis.models import AnalysisAssignment, KeyEvent
from learnloop.analysis.services import add_analyst
from learnloop.chat import sample, services
from learnloop.chat.models import ChatImport, TimelineCandidate
from learnloop.chat.slack import BadExport
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import add_responder, record_incident
from tests.conftest import World

CHANNEL = sample.CHANNEL[1]


def outage(world: World) -> Incident:
    incident = record_incident(
        world.org, world.payments_pm, title="Checkout 5xx", team=world.payments, severity=1
    )
    add_responder(incident, world.alice, ResponseRole.ON_CALL)
    add_responder(incident, world.bob, ResponseRole.ON_CALL)
    return incident


def work_of(incident: Incident, world: World) -> AnalysisAssignment:
    return AnalysisAssignment.objects.get(incident=incident, analyst=world.alice)


def zipped(files: dict[str, bytes | str], **info: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(_info(name, **info) if info else name, data)
    return buffer.getvalue()


def _info(name: str, **info: Any) -> zipfile.ZipInfo:
    made = zipfile.ZipInfo(name)
    made.compress_type = zipfile.ZIP_DEFLATED
    for key, value in info.items():
        setattr(made, key, value)
    return made


def minimal(messages: list[dict[str, Any]], channel: str = "inc") -> dict[str, bytes | str]:
    users = [{"id": "U1", "name": "ann", "profile": {"real_name": "Ann", "email": "ann@x.test"}}]
    return {
        "users.json": json.dumps(users),
        "channels.json": json.dumps([{"id": "C1", "name": channel}]),
        f"{channel}/2026-03-05.json": json.dumps(messages),
    }


def test_a_two_day_export_becomes_candidates_with_threads_bots_files_and_edits(world: World):
    export = sample.write()
    incident = outage(world)
    record = services.import_chat(
        incident, io.BytesIO(export.data), CHANNEL, workspace_url="https://acme.slack.com"
    )
    assert (record.read, record.added, record.skipped) == (
        export.messages,
        export.messages,
        export.system,
    )
    assert export.messages > 300 and len(export.days) == 2
    found = TimelineCandidate.objects.filter(incident=incident)
    assert found.filter(is_bot=True).count() == export.bots
    assert found.filter(is_reply=True).count() == export.replies
    assert found.filter(edited=True).count() == export.edited
    assert found.exclude(files=[]).count() == export.files
    first = found.first()
    assert first.posted_at == datetime(2026, 3, 5, 8, 5, 24, 1, tzinfo=UTC)  # to the microsecond
    assert first.link == f"https://acme.slack.com/archives/C0INCIDENT/p{first.ts.replace('.', '')}"
    texts = set(found.values_list("text", flat=True))
    assert "Paging @payments-oncall for help" in texts
    assert any("(https://grafana.acme.test/d/gw)" in t and "gateway board" in t for t in texts)
    assert any(t.startswith("Card declines from the acquirer > ") for t in texts)
    assert (
        any("@Alice Analyst" in t for t in texts)
        and "Noted in #general, status page updated" in texts
    )
    assert not any("<@" in t or "&gt;" in t or "&amp;" in t for t in texts)
    authors = set(found.values_list("author", flat=True))
    assert {"Yuki 佐藤", "Dmitri Søndergaard", "PagerDuty"} <= authors
    alice = found.filter(author_email="alice@acme.test").first()
    assert alice.person == world.alice
    assert found.filter(author="Dmitri Søndergaard").first().person is None  # not a member


def test_the_same_messages_are_never_imported_twice(world: World):
    export = sample.write()
    incident = outage(world)
    services.import_chat(incident, io.BytesIO(export.data), CHANNEL)
    again = services.import_chat(incident, io.BytesIO(export.data), f"#{CHANNEL}")
    assert (again.added, again.already) == (0, export.messages)
    assert TimelineCandidate.objects.filter(incident=incident).count() == export.messages


def test_a_window_keeps_only_its_messages(world: World):
    export = sample.write()
    incident = outage(world)
    since = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
    until = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    record = services.import_chat(
        incident, io.BytesIO(export.data), CHANNEL, since=since, until=until
    )
    times = list(
        TimelineCandidate.objects.filter(incident=incident).values_list("posted_at", flat=True)
    )
    assert record.added == len(times) > 0
    assert min(times) >= since and max(times) <= until


@pytest.mark.parametrize(
    ("archive", "said"),
    [
        (b"this is not a zip", "not a ZIP archive"),
        (sample.write(messages=30).data[:-40], "not a ZIP archive"),
        (zipped({**minimal([]), "../../etc/passwd": "x"}), "a path outside the archive"),
        (zipped({**minimal([]), "/abs/users.json": "x"}), "a path outside the archive"),
        (zipped(minimal([]), external_attr=(stat.S_IFLNK | 0o777) << 16), "a symbolic link"),
        (zipped({**minimal([]), "inc/bomb.txt": b"\0" * 3_000_000}), "unpacks"),
        (zipped({"channels.json": "[]"}), "no users.json"),
        (zipped({"users.json": "[]"}), "channels.json is missing"),
        (zipped({**minimal([]), "users.json": "{not json"}), "users.json: invalid JSON at line 1"),
        (
            zipped(minimal([{"type": "message", "ts": "soon", "text": "x"}])),
            "inc/2026-03-05.json: message 1: ts 'soon'",
        ),
        (zipped(minimal([], channel="other")), "no channel 'inc' in the export (channels: other)"),
    ],
)
def test_an_archive_that_is_not_a_sound_slack_export_is_refused_and_nothing_written(
    world: World, archive: bytes, said: str
):
    incident = outage(world)
    with pytest.raises(BadExport) as refused:
        services.import_chat(incident, io.BytesIO(archive), "inc")
    assert said in str(refused.value)
    assert not ChatImport.objects.exists() and not TimelineCandidate.objects.exists()


def test_a_bad_message_late_in_the_export_leaves_nothing_written(world: World):
    good = [
        {"type": "message", "ts": f"17000000{n:02d}.000100", "user": "U1", "text": "ok"}
        for n in range(50)
    ]
    files = minimal(good)
    files["inc/2026-03-06.json"] = json.dumps([{"type": "message", "ts": [], "text": "x"}])
    with pytest.raises(BadExport, match=r"inc/2026-03-06\.json: message 1"):
        services.import_chat(outage(world), io.BytesIO(zipped(files)), "inc")
    assert not TimelineCandidate.objects.exists()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    message=st.dictionaries(
        st.sampled_from(
            [
                "type",
                "subtype",
                "ts",
                "user",
                "text",
                "thread_ts",
                "files",
                "edited",
                "bot_profile",
                "attachments",
                "username",
                "bot_id",
            ]
        ),
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=True)
        | st.text(max_size=30)
        | st.lists(
            st.dictionaries(
                st.sampled_from(["name", "title", "text", "fallback"]),
                st.text(max_size=10) | st.integers(),
                max_size=2,
            ),
            max_size=2,
        )
        | st.dictionaries(
            st.sampled_from(["name", "user", "ts"]), st.text(max_size=10), max_size=2
        ),
        max_size=8,
    )
)
def test_any_message_is_imported_or_refused_in_words(world: World, message: dict[str, Any]):
    incident = Incident.objects.filter(organisation=world.org).first() or outage(world)
    try:
        services.import_chat(incident, io.BytesIO(zipped(minimal([message]))), "inc")
    except BadExport as refused:
        assert "inc/2026-03-05.json: message 1" in str(refused)


def test_an_analyst_promotes_and_dismisses_through_the_api(world: World):
    incident = outage(world)
    client = world.client_for(world.alice)
    export = sample.write(messages=60)
    answer = client.post(
        f"/api/v1/incidents/{incident.key}/chat-imports",
        {"file": SimpleUploadedFile("export.zip", export.data), "channel": CHANNEL},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["added"] == export.messages
    listed = client.get(
        f"/api/v1/incidents/{incident.key}/timeline-candidates", {"person": "bob@acme.test"}
    ).json()
    assert listed and {c["author"] for c in listed} == {"Bob Builder"}
    assert listed[0]["person"] == "bob@acme.test"
    work = work_of(incident, world)
    base = f"/api/v1/assignments/{work.pk}/timeline-candidates"
    made = client.post(f"{base}/{listed[0]['uid']}/key-event")
    assert made.status_code == 201, made.content
    event = made.json()
    assert (event["actor_role"], event["occurred_at"][:19]) == (
        "Bob Builder",
        listed[0]["posted_at"][:19],
    )
    assert event["analyst"] == world.alice.email and event["description"].startswith(
        listed[0]["text"][:20]
    )
    assert client.post(f"{base}/{listed[0]['uid']}/key-event").status_code == 422  # decided
    assert client.post(f"{base}/{listed[1]['uid']}/dismissal").json()["verdict"] == "dismissed"
    # Bob, the other analyst, decides for his own analysis, and may not decide in Alice's.
    bob = world.client_for(world.bob)
    assert bob.post(f"{base}/{listed[1]['uid']}/key-event").status_code in (403, 404)
    bob_work = AnalysisAssignment.objects.get(incident=incident, analyst=world.bob)
    bob_base = f"/api/v1/assignments/{bob_work.pk}/timeline-candidates"
    assert bob.post(f"{bob_base}/{listed[0]['uid']}/key-event").status_code == 201


def test_only_the_incident_s_analysts_and_managers_see_its_chat(world: World):
    incident = outage(world)
    services.import_chat(incident, io.BytesIO(sample.write(messages=20).data), CHANNEL)
    url = f"/api/v1/incidents/{incident.key}/timeline-candidates"
    seen = {
        user.email: world.client_for(user).get(url).status_code
        for user in (
            world.alice,
            world.payments_pm,
            world.problem_manager,
            world.admin,
            world.carol,
            world.search_pm,
            world.member,
            world.outsider,
        )
    }
    assert seen == {
        world.alice.email: 200,
        world.payments_pm.email: 200,
        world.problem_manager.email: 200,
        world.admin.email: 200,
        world.carol.email: 403,
        world.search_pm.email: 403,
        world.member.email: 403,
        world.outsider.email: 404,
    }
    page = world.client_for(world.carol).get(f"/analysis/{work_of(incident, world).pk}/")
    assert page.status_code == 404


def test_a_refused_upload_says_why_and_writes_nothing(world: World):
    incident = outage(world)
    client = world.client_for(world.alice)
    answer = client.post(
        f"/api/v1/incidents/{incident.key}/chat-imports",
        {"file": SimpleUploadedFile("x.zip", b"PK nonsense"), "channel": CHANNEL},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == "file"
    assert "not a ZIP archive" in answer.json()["detail"][0]["message"]
    page = client.post(
        f"/analysis/{work_of(incident, world).pk}/chat-import/",
        {"file": SimpleUploadedFile("x.zip", b"nope"), "channel": CHANNEL},
    )
    assert "Not imported, nothing was written: not a ZIP archive" in page.content.decode()
    assert not TimelineCandidate.objects.exists()


def test_the_command_imports_a_channel(world: World, tmp_path: Path):
    incident = outage(world)
    path = tmp_path / "export.zip"
    export = sample.write(messages=120)
    path.write_bytes(export.data)
    from learnloop.cli import main

    assert (
        main(
            [
                "chat-import",
                str(path),
                "--incident",
                incident.key,
                "--channel",
                CHANNEL,
                "--org",
                "acme",
                "--from",
                "2026-03-05T00:00:00Z",
            ]
        )
        == 0
    )
    assert TimelineCandidate.objects.filter(incident=incident).count() == export.messages
    assert (
        main(
            [
                "chat-import",
                str(path),
                "--incident",
                "INC-999",
                "--channel",
                CHANNEL,
                "--org",
                "acme",
            ]
        )
        == 1
    )
    assert (
        main(
            [
                "chat-import",
                str(path),
                "--incident",
                incident.key,
                "--channel",
                "nope",
                "--org",
                "acme",
            ]
        )
        == 1
    )


def test_a_facilitator_added_later_sees_the_same_candidates(world: World):
    incident = outage(world)
    services.import_chat(incident, io.BytesIO(sample.write(messages=20).data), CHANNEL)
    add_analyst(incident, world.carol)
    client = world.client_for(world.carol)
    assert client.get(f"/api/v1/incidents/{incident.key}/timeline-candidates").status_code == 200
    assert KeyEvent.objects.filter(incident=incident).count() == 0


def test_someone_missing_from_users_json_is_named_from_the_message(world: World):
    """A person of another workspace (a shared channel) is not in users.json; the message carries
    their profile."""
    message = {
        "type": "message",
        "ts": "1772697600.000100",
        "user": "UOTHER",
        "text": "From the vendor's side: the acquirer is degraded",
        "user_profile": {"real_name": "Vera Vendor", "display_name": "vera"},
    }
    incident = outage(world)
    services.import_chat(incident, io.BytesIO(zipped(minimal([message]))), "inc")
    assert TimelineCandidate.objects.get().author == "Vera Vendor"
