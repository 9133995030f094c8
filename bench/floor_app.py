"""The floor: the least any server could do for learnloop's incident list. A bare WSGI handler,
served by the same gunicorn as learnloop, that replays the SQL learnloop ran for each URL (the
token lookup, the membership, the page of incidents) and writes the same JSON. No framework, no
validation, no ORM: what is left is the database and the server.

The plans (URL -> statements) come from the file FLOOR_PLANS names; bench/floor.py writes it
from learnloop's own queries. The database is the one learnloop uses: FLOOR_DATABASE is a
postgres:// URL or a SQLite file."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import orjson

PLANS: dict[str, list[str]] = json.loads(open(os.environ["FLOOR_PLANS"]).read())  # noqa: SIM115
DATABASE = os.environ["FLOOR_DATABASE"]
DATETIMES = ("started_at", "detected_at", "mitigated_at", "resolved_at")
_local = threading.local()


def _connection() -> Any:
    found = getattr(_local, "connection", None)
    if found is None:
        if DATABASE.startswith("postgres"):
            import psycopg

            found = psycopg.connect(DATABASE, autocommit=True)
        else:
            import sqlite3

            found = sqlite3.connect(DATABASE, isolation_level=None, check_same_thread=False)
        _local.connection = found
    return found


def _columns(select: str) -> dict[str, int]:
    """Where each value of the SELECT list is in the row, by the name Django gives each one
    (`... AS "name"`): a column's own name, or an annotation's, such as `team_slug`, or
    `started_at_text` for a moment the database writes as text (lib.written)."""
    listed = select[select.index("SELECT") + 6 : select.index(" FROM ")]
    return {name: index for index, name in enumerate(re.findall(r' AS "(\w+)"', listed))}


def _moment(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.endswith("Z")):
        return value  # None, or written by the database as the JSON writes it
    text = value if isinstance(value, str) else value.isoformat()
    text = text.replace(" ", "T").replace("+00:00", "")
    if "." in text:  # milliseconds, as Django's JSON encoder writes them
        whole, fraction = text.split(".")
        text = f"{whole}.{fraction[:3]}"
    return text + "Z"


def _item(row: tuple[Any, ...], at: dict[str, int]) -> dict[str, Any]:
    def get(name: str) -> Any:
        return row[at[name] if name in at else at[f"{name}_text"]]

    loss = get("estimated_loss")
    of_consequence = get("of_consequence")
    return {
        "key": get("key"),
        "title": get("title"),
        "summary": get("summary"),
        "team": get("team_slug"),
        "service": get("service_slug"),
        "severity": get("severity"),
        "status": get("status"),
        **{name: _moment(get(name)) for name in DATETIMES},
        "customer_facing": bool(get("customer_facing")),
        "data_loss": bool(get("data_loss")),
        "estimated_loss": loss
        if loss is None or isinstance(loss, str)  # None, or written by the database
        else str(Decimal(str(loss)).quantize(Decimal("0.01"))),
        "impact_summary": get("impact_summary"),
        "of_consequence": None if of_consequence is None else bool(of_consequence),
        "responders": [],
        "url": f"/incidents/{get('key')}/",
    }


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    query = environ.get("QUERY_STRING", "")
    statements = PLANS.get(environ["PATH_INFO"] + (f"?{query}" if query else ""))
    if statements is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no plan for this URL"]
    cursor = _connection().cursor()
    for statement in statements[:-1]:
        cursor.execute(statement)
        if cursor.description:
            cursor.fetchall()
    cursor.execute(statements[-1])
    rows = cursor.fetchall()
    limit = int(re.findall(r"LIMIT (\d+)", statements[-1])[-1]) - 1  # one more tells of a next
    at = _columns(statements[-1])
    page = {
        "items": [_item(row, at) for row in rows[:limit]],
        "next_offset": limit if len(rows) > limit else None,
    }
    body = orjson.dumps(page)  # the fastest encoder learnloop has: the floor is the least
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
