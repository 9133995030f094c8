"""`learnloop serve`: a production server (gunicorn) over the embedded default."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command

from learnloop.lib.planner import refresh_statistics


def prepare(demo: bool) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from learnloop.accounts.models import Organisation

    logins = settings.DATA_DIR / "demo-logins.txt"
    if demo and not Organisation.objects.exists():
        from learnloop.demo import seed

        lines = [f"  {email:32} {role:16} password: {password}" for email, role, password in seed()]
        refresh_statistics()
        logins.write_text("\n".join(lines) + "\n")
        logins.chmod(0o600)
        print("Seeded the demo organisation.")
    if logins.exists():
        # Repeated on every start so that nobody has to scroll back for a password.
        print(f"Demo logins (kept in {logins}):")
        print(logins.read_text(), end="")


def base_url(host: str, port: int) -> str:
    """Where links should point when LEARNLOOP_BASE_URL does not say: the address served."""
    shown = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104 - a name only
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def serve(host: str, port: int, demo: bool) -> int:
    # The workers read their settings afresh: links in invitations follow the port served.
    os.environ.setdefault("LEARNLOOP_BASE_URL", base_url(host, port))
    prepare(demo)
    print(
        f"learnloop is serving on http://{host}:{port}/ (data in {settings.DATA_DIR})", flush=True
    )
    os.execv(  # noqa: S606 - replaces this process with gunicorn, our production server
        sys.executable, [sys.executable, *gunicorn_arguments(f"{host}:{port}")]
    )


def gunicorn_arguments(bind: str, app: str = "learnloop.wsgi:application") -> list[str]:
    """How learnloop runs under gunicorn (settings and hooks in gunicorn_config.py), with an
    access log on standard output."""
    return [
        *("-m", "gunicorn", app),
        *("--config", "python:learnloop.gunicorn_config", "--bind", bind),
        *("--access-logfile", "-"),
    ]
