"""`make bench`: seeds a large organisation (once) and prints timings and memory.

    python -m bench [--fresh] [--incidents N] [--requests N]      (make bench SCALE=N)

SQLite in var/bench by default (var/bench-N for another size); BENCH_DATABASE_URL=postgres://...
measures PostgreSQL instead (give each size its own database)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def configure() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--fresh", action="store_true", help="seed again even if a seed exists")
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurement")
    args = parser.parse_args()
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

    from bench import chat, floor, homes, intake, load, measure, review, seed

    call_command("migrate", interactive=False, verbosity=0)
    org = None if args.fresh else seed.existing(args.incidents)
    if org is None:
        print(f"Seeding {args.incidents:,} incidents (once; --fresh to redo)...", flush=True)
        org = seed.seed(args.incidents)
    rows = measure.in_process(org, args.requests)
    rows += measure.writes(org)
    rows += measure.backlog_and_delivery(org)
    rows += measure.learning(org, args.requests)
    rows += homes.homes(org, args.requests)
    rows += review.timeline(org, args.requests)
    rows += review.portal(org, args.requests)
    rows += measure.backup_and_restore(org)
    rows += chat.import_export(org)
    if not args.no_http:
        rows += measure.over_http(args.requests)
        rows += floor.against_the_floor(args.requests)
        rows += load.under_load(org, args.requests * 2)
        rows += intake.deliveries(org, args.requests)
    measure.report(org, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
