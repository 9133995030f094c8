"""One set of people with different rights, so permission tests stay short (as in healthchecks)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client

from learnloop.accounts.models import Membership, Organisation, Role, Service, Team

# Playwright's sync API runs an event loop in this thread; the ORM calls in tests are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; the world fixture hashes ten passwords per test. Tests log in
    with a fast hasher; test_production_passwords_are_hashed_with_argon2 checks the real setting."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_kept_word_counts() -> None:
    """Each test's database starts again with the same ids: a process's kept counts of how many
    search documents hold a word (insights/search.WORD_COUNTS) must not outlive it."""
    from learnloop.insights.search import WORD_COUNTS

    WORD_COUNTS.forget()


PASSWORD = "correct horse battery"


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    payments: Team
    search: Team
    checkout: Service
    admin: User
    problem_manager: User
    payments_pm: User
    search_pm: User
    alice: User  # responder in payments
    bob: User  # responder in payments
    carol: User  # responder in search
    member: User
    outsider: User  # admin of another organisation

    def client_for(self, user: User) -> Client:
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        return client


def make_person(
    org: Organisation, email: str, role: str, team: Team | None = None, name: str = ""
) -> User:
    first, _, last = name.partition(" ")
    user = User.objects.create_user(
        username=email, email=email, password=PASSWORD, first_name=first, last_name=last
    )
    Membership.objects.create(user=user, organisation=org, role=role, team=team)
    return user


@pytest.fixture
def world(db: Any) -> World:
    org = Organisation.objects.create(name="Acme", slug="acme")
    other = Organisation.objects.create(name="Other", slug="other")
    payments = Team.objects.create(organisation=org, name="Payments", slug="payments")
    search = Team.objects.create(organisation=org, name="Search", slug="search")
    checkout = Service.objects.create(
        organisation=org, team=payments, name="Checkout", slug="checkout"
    )
    Service.objects.create(organisation=org, team=search, name="Search API", slug="search-api")
    return World(
        org=org,
        other_org=other,
        payments=payments,
        search=search,
        checkout=checkout,
        admin=make_person(org, "admin@acme.test", Role.ADMIN, name="Ada Admin"),
        problem_manager=make_person(org, "pm@acme.test", Role.PROBLEM_MANAGER, name="Pat Problem"),
        payments_pm=make_person(
            org, "ppm@acme.test", Role.PRODUCT_MANAGER, payments, "Priya Product"
        ),
        search_pm=make_person(org, "spm@acme.test", Role.PRODUCT_MANAGER, search, "Sam Search"),
        alice=make_person(org, "alice@acme.test", Role.RESPONDER, payments, "Alice Analyst"),
        bob=make_person(org, "bob@acme.test", Role.RESPONDER, payments, "Bob Builder"),
        carol=make_person(org, "carol@acme.test", Role.RESPONDER, search, "Carol Coder"),
        member=make_person(org, "member@acme.test", Role.MEMBER, name="Mo Member"),
        outsider=make_person(other, "admin@other.test", Role.ADMIN, name="Oz Outsider"),
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def shared_incidents() -> Path:
    path = SHARED / "data" / "incidents"
    assert path.is_dir(), f"{path} is missing: tests read real reports from ../shared"
    return path


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page: Any, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


@pytest.fixture(autouse=True, scope="session")
def flush_past_the_append_only_triggers() -> Iterator[None]:
    """Transactional tests end by emptying every table. PostgreSQL's TRUNCATE passes the
    append-only triggers (ledger, audit trail); SQLite's flush is a DELETE, which they refuse:
    the flush drops them and puts them back (tests only; the product never empties its tables).
    SQLite's full-text table is no model's, and is emptied with the search documents: its
    vocabulary counts how many documents hold a word."""
    from django.db.backends.sqlite3.base import DatabaseOperations

    from learnloop.lib.append_only import TABLES, statements

    original = DatabaseOperations.sql_flush

    def sql_flush(self: Any, style: Any, tables: Any, **kwargs: Any) -> list[str]:
        drop = [sql for t, m in TABLES.items() for sql in statements(t, m, "sqlite", False)]
        create = [sql for t, m in TABLES.items() for sql in statements(t, m, "sqlite", True)]
        fulltext = ["DELETE FROM insights_fts"] if "insights_searchdocument" in tables else []
        return [*drop, *original(self, style, tables, **kwargs), *fulltext, *create]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


ROOT = Path(__file__).resolve().parents[1]


def run_outside(env: dict[str, str], module: str, *args: str) -> str:
    """Runs `module.outside(*args)` in a process of its own against the database `env` names
    (outside_env), and returns what it printed."""
    code = f"import django; django.setup(); from {module} import outside; import sys; "
    done = subprocess.run(
        [sys.executable, "-c", code + "outside(*sys.argv[1:])", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def outside_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A database of its own for the worker processes: SQLite in a fresh data folder, or, when
    the tests run on PostgreSQL, a fresh PostgreSQL database dropped afterwards."""
    data = tmp_path_factory.mktemp("worker")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "learnloop.settings",
        "LEARNLOOP_DATA_DIR": str(data),
        "LEARNLOOP_SECRET_KEY": "worker-test-secret-key",
        "LEARNLOOP_ALLOW_PRIVATE_DESTINATIONS": "1",
        "LEARNLOOP_HTTP_TIMEOUT": "30",
        "LEARNLOOP_BASE_URL": "https://learnloop.acme.test",
        "LEARNLOOP_DEBUG": "0",
    }
    server_url = os.environ.get("LEARNLOOP_DATABASE_URL", "")
    database = f"learnloop_worker_{os.getpid()}"
    if server_url:
        import psycopg

        admin = urlsplit(server_url)._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
            connection.execute(f'CREATE DATABASE "{database}"')
        env["LEARNLOOP_DATABASE_URL"] = urlsplit(server_url)._replace(path=f"/{database}").geturl()
    else:
        env["LEARNLOOP_DATABASE_URL"] = ""
    subprocess.run(
        [sys.executable, "-m", "learnloop", "migrate"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    yield env
    if server_url:
        import psycopg

        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
