"""`learnloop worker` as a real process, killed (SIGKILL) while a delivery is in flight, then
started again: email and Confluence are delivered exactly once; Slack, which cannot be asked
whether a post arrived, is marked in doubt and not posted twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT, run_outside
from tests.fake_publishing import FakePublishing, SmtpServer


def outside(env: dict[str, str], *args: str) -> str:
    return run_outside(env, "tests.fake_publishing", *args)


def report(env: dict[str, str], delivery: str) -> dict[str, Any]:
    return dict(json.loads(outside(env, "report", delivery)))


def kill_in_flight(env: dict[str, str], arrived: Any) -> None:
    """Starts a worker, waits until its request is in flight, and kills it outright."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "learnloop", "worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert arrived.wait(120), "the worker never sent the delivery"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(30)


def restart(env: dict[str, str], delivery: str) -> None:
    """The lease of the dead worker runs out; a new worker sweeps and delivers what is due."""
    assert report(env, delivery)["state"] == "sending"  # the dead worker's lease holds it
    outside(env, "expire", delivery)
    subprocess.run(
        [sys.executable, "-m", "learnloop", "worker", "--once", "--reconcile-every", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )


@pytest.fixture
def fake() -> Iterator[FakePublishing]:
    server = FakePublishing()
    yield server
    server.close()


def test_email_interrupted_mid_transaction_is_sent_exactly_once(outside_env):
    smtp = SmtpServer()
    env = {**outside_env, "LEARNLOOP_SMTP_HOST": "127.0.0.1", "LEARNLOOP_SMTP_PORT": str(smtp.port)}
    try:
        delivery = outside(env, "seed", "email", "")
        smtp.mailbox.hold = True  # the SMTP transaction stops before DATA
        kill_in_flight(env, smtp.mailbox.arrived)
        smtp.mailbox.hold = False
        smtp.mailbox.release.set()
        assert smtp.mailbox.messages == []  # never accepted: nothing delivered
        restart(env, delivery)
        after = report(env, delivery)
        assert after["state"] == "sent", after
        assert after["outcomes"] == ["interrupted", "sent"]
        assert len(smtp.mailbox.messages) == 1
        assert smtp.mailbox.messages[0]["Message-ID"] == after["message_id"]
    finally:
        smtp.close()


def test_confluence_page_interrupted_after_creation_is_found_not_doubled(
    outside_env, fake: FakePublishing
):
    delivery = outside(outside_env, "seed", "confluence_cloud", fake.base)
    fake.state.faults = ["hold"]  # the page is made; the answer waits; the worker dies
    kill_in_flight(outside_env, fake.state.arrived)
    fake.state.release.set()
    assert len(fake.state.pages) == 1
    restart(outside_env, delivery)
    after = report(outside_env, delivery)
    assert after["state"] == "sent", after
    assert after["outcomes"] == ["interrupted", "found"]
    assert len(fake.state.pages) == 1
    assert len([r for r in fake.state.requests if r.method == "POST"]) == 1


def test_slack_post_interrupted_in_flight_is_in_doubt_and_not_posted_again(
    outside_env, fake: FakePublishing
):
    delivery = outside(outside_env, "seed", "slack", fake.slack_url)
    fake.state.faults = ["hold"]  # Slack has the message; the answer never reaches the worker
    kill_in_flight(outside_env, fake.state.arrived)
    fake.state.release.set()
    restart(outside_env, delivery)
    after = report(outside_env, delivery)
    assert after["state"] == "in_doubt", after
    assert after["outcomes"] == ["in_doubt"]
    assert "cannot be asked" in after["last_error"]
    assert len(fake.state.posts) == 1
