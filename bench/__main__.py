"""`make bench`: seeds a large organisation (once) and prints timings and memory.

    python -m bench [--fresh] [--incidents N] [--requests N] [--only homes,floor,...]
                                                                  (make bench SCALE=N)

SQLite in var/bench by default (var/bench-N for another size); BENCH_DATABASE_URL=postgres://...
measures PostgreSQL instead (give each size its own database)."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

# What make bench measures, in this order (--only picks some): the module and function of
# bench that measures each, and what it is given (the organisation, N requests, 2N requests).
SECTIONS = {
    "in_process": ("measure", "in_process", "org n"),
    "writes": ("measure", "writes", "org"),
    "backlog": ("measure", "backlog_and_delivery", "org"),
    "learning": ("measure", "learning", "org n"),
    "homes": ("homes", "homes", "org n"),
    "timeline": ("review", "timeline", "org n"),
    "portal": ("review", "portal", "org n"),
    "backup": ("measure", "backup_and_restore", "org"),
    "chat": ("chat", "import_export", "org"),
    "http": ("measure", "over_http", "n"),
    "floor": ("floor", "against_the_floor", "n"),
    "load": ("load", "under_load", "org 2n"),
    "intake": ("intake", "deliveries", "org n"),
}
HTTP = ("http", "floor", "load", "intake")  # through gunicorn; --no-http leaves them out


def configure() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--fresh", action="store_true", help="seed again even if a seed exists")
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurement")
    parser.add_argument(
        "--only", default="", help=f"comma-separated sections, of: {', '.join(SECTIONS)}"
    )
    args = parser.parse_args()
    args.only = args.only.split(",") if args.only else list(SECTIONS)
    unknown = sorted(set(args.only) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: no section {', '.join(unknown)}")
    # Each size has its own folder, so that the usual 20,000 and a larger one are both kept.
    folder = "var/bench" if args.incidents == 20_000 else f"var/bench-{args.incidents}"
    os.environ["LEARNLOOP_DATA_DIR"] = str(Path(folder).resolve())
    os.environ["LEARNLOOP_DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "learnloop.settings"
    os.environ.setdefault("LEARNLOOP_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    import django

    django.setup()
    return args


def main() -> int:
    args = configure()
    from django.core.management import call_command

    from bench import measure, seed
    from learnloop.lib import collector

    call_command("migrate", interactive=False, verbosity=0)
    org = None if args.fresh else seed.existing(args.incidents)
    if org is None:
        print(f"Seeding {args.incidents:,} incidents (once; --fresh to redo)...", flush=True)
        org = seed.seed(args.incidents)
    else:
        seed.maintained()
    # Measured in this process with the collector as the server's workers and commands run it:
    # what is loaded (and seeded) frozen, the young collected every collector.YOUNG objects.
    collector.settle()
    given = {"org": org, "n": args.requests, "2n": args.requests * 2}
    rows = []
    for name, (module, function, arguments) in SECTIONS.items():
        if name in args.only and not (args.no_http and name in HTTP):
            measures = getattr(importlib.import_module(f"bench.{module}"), function)
            rows += measures(*(given[argument] for argument in arguments.split()))
    measure.report(org, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
