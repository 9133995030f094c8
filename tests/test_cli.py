"""The `learnloop` command: exit 0 on success, 1 on invalid input, 2 on wrong usage."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from learnloop.accounts.models import ApiToken, Membership
from learnloop.cli import main
from tests.conftest import World

LEARNLOOP = str(Path(sys.executable).with_name("learnloop"))


def run_cli(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(data_dir), "LEARNLOOP_DATABASE_URL": ""}
    return subprocess.run(
        [LEARNLOOP, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_user_create_reads_the_password_from_stdin(world: World, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long enough secret\n"))
    assert (
        main(
            [
                "user",
                "create",
                "New@Acme.test",
                "--role",
                "responder",
                "--org",
                "acme",
                "--team",
                "payments",
            ]
        )
        == 0
    )
    user = User.objects.get(username="new@acme.test")
    assert user.check_password("a long enough secret")
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.team) == ("responder", world.payments)
    assert "created new@acme.test" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["not-an-email", "--role", "member", "--org", "acme"],
            "secret password\n",
            "is not an email address",
        ),
        (
            ["alice@acme.test", "--role", "member", "--org", "acme"],
            "secret password\n",
            "already exists",
        ),
        (
            ["x@acme.test", "--role", "member", "--org", "nope"],
            "secret password\n",
            "no organisation with slug 'nope'",
        ),
        (["x@acme.test", "--role", "member", "--org", "acme"], "\n", "give the password"),
        (["x@acme.test", "--role", "member", "--org", "acme"], "short\n", "too short"),
    ],
)
def test_user_create_refuses_invalid_input_with_status_1(
    world, monkeypatch, capsys, args, stdin, message
):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main(["user", "create", *args]) == 1
    assert message in capsys.readouterr().err
    assert not User.objects.filter(username="x@acme.test").exists()


def test_token_create_prints_the_token_once_and_stores_only_its_hash(world: World, capsys):
    assert main(["token", "create", "alice@acme.test", "--name", "nightly"]) == 0
    raw = capsys.readouterr().out.strip()
    token = ApiToken.objects.get(user=world.alice)
    assert raw.startswith("ll_") and raw not in token.token_hash
    assert ApiToken.authenticate(raw) == (world.alice, world.alice.memberships.get())
    token.revoke()
    assert ApiToken.authenticate(raw) is None


def test_token_create_for_an_unknown_person_fails_with_status_1(db, capsys):
    assert main(["token", "create", "ghost@acme.test"]) == 1
    assert "no person with email" in capsys.readouterr().err


def test_wrong_usage_exits_with_status_2(tmp_path: Path):
    result = run_cli("user", "create", "x@y.test", data_dir=tmp_path)  # --role is missing
    assert result.returncode == 2
    assert "--role" in result.stderr
    assert run_cli("frobnicate", data_dir=tmp_path).returncode == 2


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["import"], ["export"], ["user", "create"], ["token", "create"]]
)
def test_every_command_has_help(tmp_path: Path, command: list[str]):
    result = run_cli(*command, "--help", data_dir=tmp_path)
    assert result.returncode == 0 and "usage: learnloop" in result.stdout


def test_the_console_script_creates_a_secret_key_and_a_user_in_a_fresh_data_folder(tmp_path):
    assert run_cli("migrate", data_dir=tmp_path).returncode == 0
    result = run_cli(
        "user",
        "create",
        "ops@example.org",
        "--role",
        "admin",
        data_dir=tmp_path,
        stdin="operator password\n",
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert run_cli("token", "create", "ops@example.org", data_dir=tmp_path).stdout.startswith("ll_")


def test_processes_starting_together_on_a_new_data_folder_share_one_secret_key(tmp_path: Path):
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(tmp_path), "LEARNLOOP_SECRET_KEY": ""}
    script = "import learnloop.settings as settings; print(settings.SECRET_KEY)"
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in starting}
    assert keys == {(tmp_path / "secret_key").read_text().strip()} and len(keys.pop()) > 40
    assert not list(tmp_path.glob(".secret_key*")), "a key written aside was left behind"


def test_the_data_folder_and_the_database_are_readable_by_their_owner_only(tmp_path: Path):
    data = tmp_path / "data"
    assert run_cli("migrate", data_dir=data).returncode == 0
    assert (
        run_cli(
            "user",
            "create",
            "o@example.org",
            "--role",
            "admin",
            data_dir=data,
            stdin="operator password\n",
        ).returncode
        == 0
    )
    assert data.stat().st_mode & 0o777 == 0o700
    files = [p for p in data.iterdir() if p.name.startswith("learnloop.sqlite3")]
    assert files and all(p.stat().st_mode & 0o777 == 0o600 for p in files), files


@pytest.mark.parametrize("command", [["import", "missing.json"], ["export"], ["costs"]])
def test_a_command_on_a_new_data_folder_brings_the_schema_up_to_date(
    tmp_path: Path, command: list[str]
):
    result = run_cli(*command, data_dir=tmp_path / "new")
    assert "Traceback" not in result.stderr and "no such table" not in result.stderr
    assert "bringing the database schema up to date" in result.stderr
    assert result.returncode in (0, 1), result.stderr
    if command == ["export"]:
        assert result.stdout.lstrip().startswith("{")  # the notice stays off the document


def test_rotate_key_seals_every_secret_again_and_the_old_key_can_go(world: World, settings, capsys):
    from learnloop.publishing.models import PublishChannel
    from learnloop.trackers.models import TrackerConnection

    settings.ENCRYPTION_KEY, settings.OLD_ENCRYPTION_KEYS = "old key", []
    channel = PublishChannel(organisation=world.org, kind="slack", name="Slack")
    channel.secret = "https://hooks.slack.com/services/T1/B2/xyz"
    channel.save()
    connection = TrackerConnection(
        team=world.payments, kind="github", base_url="https://x", project="a/b"
    )
    connection.token, connection.webhook_secret = "token-1", "hook-1"
    connection.save()
    settings.ENCRYPTION_KEY, settings.OLD_ENCRYPTION_KEYS = "new key", ["old key"]
    before = PublishChannel.objects.get().secret_sealed
    assert main(["rotate-key"]) == 0
    assert "Sealed 2 stored secrets" in capsys.readouterr().out
    settings.OLD_ENCRYPTION_KEYS = []  # the switch is over
    assert PublishChannel.objects.get().secret == "https://hooks.slack.com/services/T1/B2/xyz"
    found = TrackerConnection.objects.get()
    assert (found.token, found.webhook_secret) == ("token-1", "hook-1")
    assert PublishChannel.objects.get().secret_sealed != before


def test_rotate_key_without_the_old_key_changes_nothing_and_says_why(
    world: World, settings, capsys
):
    from learnloop.publishing.models import PublishChannel

    settings.ENCRYPTION_KEY, settings.OLD_ENCRYPTION_KEYS = "lost key", []
    channel = PublishChannel(organisation=world.org, kind="slack", name="Slack")
    channel.secret = "https://hooks.slack.com/services/T1/B2/xyz"
    channel.save()
    settings.ENCRYPTION_KEY = "new key"
    assert main(["rotate-key"]) == 1
    assert "LEARNLOOP_OLD_ENCRYPTION_KEYS" in capsys.readouterr().err
    assert PublishChannel.objects.get().secret_sealed == channel.secret_sealed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def signed_in_get(port: int, logins: str, path: str) -> str:
    """Logs in as the demo's admin through the login form, then reads one page."""
    import http.cookiejar
    import urllib.parse

    password = re.search(r"admin@demo\.learnloop\s+admin\s+password: (\S+)", logins)
    assert password
    base = f"http://127.0.0.1:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/login/", timeout=5).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token
    fields = {
        "csrfmiddlewaretoken": token[1],
        "username": "admin@demo.learnloop",
        "password": password[1],
    }
    request = urllib.request.Request(
        f"{base}/login/",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Referer": f"{base}/login/"},
    )
    opener.open(request, timeout=10).read()
    return str(opener.open(f"{base}{path}", timeout=10).read().decode())


def test_serve_seeds_the_demo_prints_logins_and_serves_pages_and_static_files(tmp_path: Path):
    port = free_port()
    env = {
        **os.environ,
        "LEARNLOOP_DATA_DIR": str(tmp_path),
        "LEARNLOOP_DATABASE_URL": "",
        "LEARNLOOP_WORKERS": "1",
    }
    env.pop("LEARNLOOP_BASE_URL", None)
    server = subprocess.Popen(
        [LEARNLOOP, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert "Log in" in body
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/static/learnloop/learnloop.css", timeout=5
        ) as response:
            assert response.status == 200
        invitation = signed_in_get(
            port, (tmp_path / "demo-logins.txt").read_text(), "/analysis/1/invitation.ics"
        )
        # Links follow the port served, as no LEARNLOOP_BASE_URL says otherwise.
        assert f"http://127.0.0.1:{port}/analysis/1/" in invitation.replace("\r\n ", "")
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert re.search(r"admin@demo\.learnloop\s+admin\s+password: \S+", output), output
    assert "gunicorn" in output.lower()
