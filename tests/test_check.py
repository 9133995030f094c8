"""`learnloop check` says what is missing for production, in learnloop's settings' names, and
fails when something must be fixed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.test_cli import LEARNLOOP
from tests.test_mail import LOGIN, PASSWORD, Server, start
from tests.tls_material import make_tls

KEY = "k" * 60


def check(data: Path, **settings: str) -> tuple[int, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LEARNLOOP_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"  # set by the tests
    }
    env.update({"LEARNLOOP_DATA_DIR": str(data), "LEARNLOOP_DATABASE_URL": ""})
    env.update({f"LEARNLOOP_{name}": value for name, value in settings.items()})
    done = subprocess.run(
        [LEARNLOOP, "check"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_a_careless_setup_is_told_what_to_fix_and_fails(tmp_path: Path):
    code, said = check(
        tmp_path / "data",
        DEBUG="1",
        BASE_URL="https://learnloop.example.org",
        SMTP_PORT="1",  # nothing listens there
    )
    assert code == 1, said
    for finding in (
        "learnloop.E003",  # debug pages
        "learnloop.E005",  # the public host is not an allowed host
        "learnloop.W001",  # no encryption key of its own
        "learnloop.W002",  # not over HTTPS
        "learnloop.W003",  # no mail server
        "LEARNLOOP_ALLOWED_HOSTS",
        "LEARNLOOP_ENCRYPTION_KEY",
        "LEARNLOOP_HTTPS=1",
        "LEARNLOOP_SMTP_HOST",
    ):
        assert finding in said, (finding, said)
    secret = tmp_path / "data" / "secret_key"
    secret.chmod(0o644)
    code, said = check(tmp_path / "data", SMTP_PORT="1")
    assert "learnloop.E006" in said and "chmod 600" in said and code == 1


def test_a_careful_setup_passes_and_reaches_its_mail_server(tmp_path: Path):
    tls = make_tls(tmp_path / "tls")
    controller, port = start(Server(), tls)
    try:
        code, said = check(
            tmp_path / "data",
            HTTPS="1",
            TRUSTED_PROXIES="1",
            BASE_URL="https://learnloop.example.org",
            ALLOWED_HOSTS="learnloop.example.org",
            ENCRYPTION_KEY=KEY,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(port),
            SMTP_SECURITY="starttls",
            SMTP_USER=LOGIN,
            SMTP_PASSWORD=PASSWORD,
            SMTP_CA_FILE=str(tls.ca_file),
        )
        wrong, refused = check(
            tmp_path / "data",
            ENCRYPTION_KEY=KEY,
            SMTP_PORT=str(port),
            SMTP_SECURITY="starttls",
            SMTP_USER=LOGIN,
            SMTP_PASSWORD="guess",
            SMTP_CA_FILE=str(tls.ca_file),
        )
    finally:
        controller.stop()
    assert code == 0, said
    assert "WARNINGS" not in said and "ERRORS" not in said, said
    assert f"127.0.0.1:{port} answers (STARTTLS, logged in as {LOGIN})" in said
    assert "refused learnloop's login" in refused and "guess" not in refused
    assert wrong == 0  # a warning: learnloop runs, its mail shows as not delivered


def test_an_unknown_smtp_security_stops_learnloop_with_a_sentence(tmp_path: Path):
    code, said = check(tmp_path / "data", SMTP_SECURITY="ssl")
    assert code != 0
    assert "LEARNLOOP_SMTP_SECURITY is 'ssl': say none, starttls or tls." in said
