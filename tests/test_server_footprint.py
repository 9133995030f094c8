"""What a web server process loads before its first request. The libraries that only some
requests need (HTTP clients for deliveries, iCalendar, the Markdown parser, the stemmer, the
single sign-on library with requests, PyJWT and cryptography) are loaded by the first request
that needs them: together they were about 30 MB in each of the server's processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LOADED_ON_FIRST_USE = [
    "httpx",
    "requests",
    "jwt",
    "cryptography",
    "icalendar",
    "markdown_it",
    "nh3",
    "snowballstemmer",
    "mozilla_django_oidc.auth",
]

_CODE = """
import sys
from learnloop.wsgi import application
from django.urls import get_resolver
get_resolver().url_patterns  # every URL module and view, as the first request imports them
print(" ".join(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def test_a_web_server_process_loads_only_what_every_request_needs(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", _CODE, *LOADED_ON_FIRST_USE],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "learnloop.settings",
            "LEARNLOOP_DATA_DIR": str(tmp_path),
            "LEARNLOOP_SECRET_KEY": "footprint-test-key",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == []
