"""`learnloop serve`: a production server (gunicorn) over the embedded default."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command


def prepare(demo: bool) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    from learnloop.accounts.models import Organisation

    if demo and not Organisation.objects.exists():
        from learnloop.demo import seed

        credentials = seed()
        print("Seeded the demo organisation. Log in at the address below as one of:")
        for email, role, password in credentials:
            print(f"  {email:32} {role:16} password: {password}")


def serve(host: str, port: int, demo: bool) -> int:
    prepare(demo)
    print(
        f"learnloop is serving on http://{host}:{port}/ (data in {settings.DATA_DIR})", flush=True
    )
    workers = os.environ.get("LEARNLOOP_WORKERS", "2")
    os.execv(  # noqa: S606 - replaces this process with gunicorn, our production server
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "learnloop.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            workers,
            "--threads",
            "4",
            "--worker-class",
            "gthread",
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ],
    )
