"""learnloop behind a TLS-terminating proxy, as served by `learnloop serve`: cookies only over
TLS, plain HTTP redirected, HSTS, and sign-in locks counted by the client's address that the
proxy reports (not the proxy's own, which everyone would share)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

from tests.test_cli import LEARNLOOP, free_port

HOST = "learnloop.example.org"


def ask(port: int, method: str, path: str, headers: dict[str, str], body: str = "") -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request(method, path, body=body or None, headers={"Host": HOST, **headers})
    answer = connection.getresponse()
    answer.text = answer.read().decode()
    connection.close()
    return answer


def via_proxy(client: str) -> dict[str, str]:
    return {"X-Forwarded-Proto": "https", "X-Forwarded-For": client}


def log_in(port: int, client: str, email: str, password: str) -> Any:
    form = ask(port, "GET", "/login/", via_proxy(client))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    cookie = form.getheader("Set-Cookie").split(";")[0]
    assert token
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1], "username": email, "password": password}
    )
    return ask(
        port,
        "POST",
        "/login/",
        {
            **via_proxy(client),
            "Cookie": cookie,
            "Referer": f"https://{HOST}/login/",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body,
    )


def test_behind_a_tls_proxy(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNLOOP_")}
    env.update(
        LEARNLOOP_DATA_DIR=str(tmp_path),
        LEARNLOOP_WORKERS="1",
        LEARNLOOP_HTTPS="1",
        LEARNLOOP_TRUSTED_PROXIES="1",
        LEARNLOOP_BASE_URL=f"https://{HOST}",
        LEARNLOOP_ALLOWED_HOSTS=HOST,
        LEARNLOOP_CSRF_TRUSTED_ORIGINS=f"https://{HOST}",
    )
    server = subprocess.Popen(
        [LEARNLOOP, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        for _ in range(120):
            try:
                plain = ask(port, "GET", "/login/", {})
                break
            except OSError:
                time.sleep(0.5)
        assert plain.status == 301 and plain.getheader("Location") == f"https://{HOST}/login/"

        secure = ask(port, "GET", "/login/", via_proxy("203.0.113.5"))
        assert secure.status == 200
        assert "max-age=31536000" in secure.getheader("Strict-Transport-Security")
        assert "Secure" in secure.getheader("Set-Cookie")
        assert "script-src 'self'" in secure.getheader("Content-Security-Policy")

        logins = (tmp_path / "demo-logins.txt").read_text()
        found = re.search(r"amara@demo\.learnloop\s+responder\s+password: (\S+)", logins)
        assert found
        # One guesser behind the proxy locks their own address, not everyone's.
        for number in range(5):
            log_in(port, "198.51.100.7", f"nobody{number}@demo.learnloop", "guess")
        assert log_in(port, "198.51.100.7", "amara@demo.learnloop", found[1]).status == 429
        signed_in = log_in(port, "203.0.113.5", "amara@demo.learnloop", found[1])
        assert signed_in.status == 302 and signed_in.getheader("Location") == "/"
        assert "Secure" in signed_in.getheader("Set-Cookie")
    finally:
        server.terminate()
        server.communicate(timeout=30)
