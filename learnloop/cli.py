"""The `learnloop` command for operators. Exit status: 0 success, 1 invalid input, 2 wrong usage.
Every command and option here is described in docs/cli.md (a test checks)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from learnloop.lib import collector


class CommandError(Exception):
    """Invalid input: the message says what is wrong; the command exits with status 1."""


ONLY_ONE = "organisation (default: the only one)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="learnloop", description="Turns incidents into organisation-wide learning."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="migrate, seed the demo on first start, and serve")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--no-demo", action="store_true", help="do not seed the demo organisation")

    imp = commands.add_parser("import", help="import JSON incident documents (files or folders)")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    imp.add_argument("--org", metavar="SLUG", help="organisation to import into")

    exp = commands.add_parser("export", help="write learnloop's complete incident document")
    exp.add_argument(
        "--incident",
        action="append",
        default=[],
        metavar="KEY",
        help="only this incident (repeatable)",
    )
    exp.add_argument("--output", metavar="FILE", help="write here instead of standard output")
    exp.add_argument("--org", metavar="SLUG", help="organisation to export")

    chat = commands.add_parser(
        "chat-import",
        help="import an incident channel from a Slack export as timeline candidates",
    )
    chat.add_argument("zip", metavar="ZIP", help="a Slack workspace export")
    chat.add_argument("--incident", required=True, metavar="KEY", help="the incident's key")
    chat.add_argument("--channel", required=True, metavar="NAME", help="the channel, without #")
    chat.add_argument("--from", dest="since", metavar="TIME", help="only messages from then")
    chat.add_argument("--to", dest="until", metavar="TIME", help="only messages until then")
    chat.add_argument(
        "--workspace-url",
        default="",
        metavar="URL",
        help="the workspace's address (https://acme.slack.com), for links to each message",
    )
    chat.add_argument("--org", metavar="SLUG", help=ONLY_ONE)

    user = commands.add_parser("user", help="manage people").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_user = user.add_parser("create", help="create a person; password read from stdin")
    create_user.add_argument("email")
    create_user.add_argument(
        "--role",
        required=True,
        choices=["member", "responder", "product_manager", "problem_manager", "admin"],
    )
    create_user.add_argument("--org", metavar="SLUG", help="organisation (default: the only one)")
    create_user.add_argument("--team", metavar="SLUG", help="the person's team")
    create_user.add_argument("--name", default="", help="full name")

    team = commands.add_parser("team", help="manage product teams").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_team = team.add_parser("create", help="add a team (or rename the team with that slug)")
    create_team.add_argument("slug")
    create_team.add_argument("--name", required=True, help="the team's name")
    create_team.add_argument("--org", metavar="SLUG", help=ONLY_ONE)

    service = commands.add_parser("service", help="manage services").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_service = service.add_parser(
        "create", help="add a service owned by a team (or change the service with that slug)"
    )
    create_service.add_argument("slug")
    create_service.add_argument("--name", required=True, help="the service's name")
    create_service.add_argument("--team", metavar="SLUG", help="the owning team")
    create_service.add_argument(
        "--org", metavar="SLUG", help="organisation (default: the only one)"
    )

    catalog = commands.add_parser(
        "catalog", help="teams and services from a Backstage catalogue or CSV"
    ).add_subparsers(dest="action", required=True, metavar="ACTION")
    catalog_import = catalog.add_parser(
        "import",
        help="import catalog-info.yaml files (Group and Component entities) or CSV files "
        "(kind,slug,name,team): all or nothing, again without duplicates",
    )
    catalog_import.add_argument("paths", nargs="+", metavar="FILE")
    catalog_import.add_argument(
        "--org", metavar="SLUG", help="organisation (default: the only one)"
    )

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    create_token = token.add_parser("create", help="create an API token and print it once")
    create_token.add_argument("email")
    create_token.add_argument("--name", default="cli", help="what the token is for")

    worker = commands.add_parser(
        "worker",
        help="run background work, the task queue: actions filed in trackers, deliveries of "
        "published narratives (email, Slack, Confluence), events to subscribers, invitations; "
        "and tracker reconciliation",
    )
    worker.add_argument("--once", action="store_true", help="deliver what is due, then exit")
    worker.add_argument(
        "--reconcile-every",
        type=int,
        default=900,
        metavar="SECONDS",
        help="how often to read tracker statuses (0: never)",
    )

    costs = commands.add_parser("costs", help="post the cost ledger and print its summary")
    costs.add_argument("--team", metavar="SLUG", help="only this team")
    costs.add_argument(
        "--from",
        dest="start",
        metavar="DATE",
        help="first day, YYYY-MM-DD (default: 1 January this year)",
    )
    costs.add_argument("--to", dest="end", metavar="DATE", help="last day (default: today)")
    costs.add_argument("--format", choices=["table", "csv", "json"], default="table")
    costs.add_argument("--org", metavar="SLUG", help="organisation (default: the only one)")

    site = commands.add_parser(
        "publish-site", help="write a static HTML site of all published narratives"
    )
    site.add_argument("outdir", metavar="OUTDIR", help="folder to write (created if missing)")
    site.add_argument("--org", metavar="SLUG", help="organisation (default: the only one)")

    reindex = commands.add_parser(
        "reindex", help="rebuild the search documents left unindexed (or, with --all, all)"
    )
    reindex.add_argument("--all", action="store_true", help="rebuild every incident's documents")
    commands.add_parser(
        "rotate-key",
        help="seal every stored secret again with the current encryption key "
        "(old keys in LEARNLOOP_OLD_ENCRYPTION_KEYS)",
    )
    backup = commands.add_parser(
        "backup", help="write one consistent archive of everything, while the server runs"
    )
    backup.add_argument("file", metavar="FILE", help="the archive to write (a ZIP file)")
    restore = commands.add_parser(
        "restore",
        help="check an archive, then load it into an empty database (SQLite or PostgreSQL)",
    )
    restore.add_argument("file", metavar="FILE", help="an archive `learnloop backup` wrote")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="delete everything in a database that is not empty first",
    )
    commands.add_parser(
        "check",
        help="say what is missing for production: Django's deployment checks and learnloop's "
        "own (keys, HTTPS, file permissions, the mail server)",
    )
    commands.add_parser("migrate", help="bring the database schema up to date")
    manage = commands.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def setup_django() -> None:
    """Django set up once per process (`run` sets it up before `main`)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "learnloop.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def bring_schema_up_to_date() -> None:
    """A new data folder, or one left by an older version, is migrated before a command reads it
    (serve does the same), and the command says so."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        notice = f"learnloop: bringing the database schema up to date ({len(plan)} migrations)"
        print(notice, file=sys.stderr)
        call_command("migrate", interactive=False, verbosity=0)


def run() -> int:
    """The `learnloop` command, in a process of its own: its collector as the server's workers
    run theirs (lib/collector.py), for the task worker and imports alike."""
    setup_django()
    collector.settle()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_django()
    if args.command not in ("migrate", "manage", "serve", "check", "restore"):
        bring_schema_up_to_date()
    try:
        return dispatch(args)
    except CommandError as error:
        print(f"learnloop: {error}", file=sys.stderr)
        return 1


def dispatch(args: argparse.Namespace) -> int:
    from django.core.management import call_command

    if args.command == "serve":
        from learnloop.server import serve

        return serve(args.host, args.port, demo=not args.no_demo)
    if args.command == "import":
        from learnloop.interchange.importer import import_paths

        return import_paths(args.paths, org_slug=args.org)
    if args.command == "export":
        from learnloop.interchange.exporter import export_command

        return export_command(args.incident, args.output, org_slug=args.org)
    if args.command == "chat-import":
        from learnloop.chat.command import chat_import_command

        return chat_import_command(
            args.zip,
            args.incident,
            args.channel,
            args.since,
            args.until,
            args.workspace_url,
            args.org,
        )
    if args.command == "user":
        from learnloop.accounts.commands import create_user

        return create_user(args.email, args.role, args.org, args.team, args.name, sys.stdin)
    if args.command in ("team", "service", "catalog"):
        from learnloop.accounts import commands as accounts

        if args.command == "team":
            return accounts.create_team(args.slug, args.name, args.org)
        if args.command == "service":
            return accounts.create_service(args.slug, args.name, args.team, args.org)
        return accounts.import_catalog(args.paths, args.org)
    if args.command == "token":
        from learnloop.accounts.commands import create_token

        return create_token(args.email, args.name)
    if args.command == "worker":
        from learnloop.trackers.worker import run

        return run(once=args.once, reconcile_every=args.reconcile_every)
    if args.command == "costs":
        from learnloop.costs.command import costs_command

        return costs_command(args.team, args.start, args.end, args.format, args.org)
    if args.command == "publish-site":
        from learnloop.portal.site import publish_site_command

        return publish_site_command(args.outdir, args.org)
    if args.command == "reindex":
        from learnloop.insights.search import reindex_command

        return reindex_command(args.all, sys.stdout)
    if args.command == "rotate-key":
        from learnloop.lib.rotate_key import rotate_key_command

        return rotate_key_command(sys.stdout)
    if args.command == "backup":
        from learnloop.backup.command import backup_command

        return backup_command(args.file)
    if args.command == "restore":
        from learnloop.backup.command import restore_command

        return restore_command(args.file, args.replace)
    if args.command == "check":
        from django.core.management.base import SystemCheckError

        try:
            call_command("check", deploy=True, fail_level="ERROR")
        except SystemCheckError as error:
            print(error, file=sys.stderr)
            return 1
        return 0
    if args.command == "migrate":
        call_command("migrate", interactive=False, verbosity=1)
        return 0
    if args.command == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["learnloop manage", *args.args])
        return 0
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
