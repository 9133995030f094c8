"""learnloop against the floor (bench/floor_app.py) for the incident list API, over HTTP through
the same gunicorn: the floor replays the SQL learnloop ran for each URL, its JSON is checked
equal to learnloop's first, then both are timed with their requests interleaved, so that a
noisy machine slows both alike. The ratio is the figure: at most 2x is the target."""

from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import seed
from bench.measure import Row, percentile, row, serving
from learnloop.accounts.models import ApiToken

TEAMS = 50


def _plans(token: str) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Each URL's SQL as learnloop runs it in the steady state, and learnloop's answer."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get("/api/v1/incidents")  # the token's first use stamps it; later uses do not write
    plans, answers = {}, {}
    for team in range(TEAMS):
        url = f"/api/v1/incidents?team=team-{team:02}"
        with CaptureQueriesContext(connection) as ran:
            answers[url] = client.get(url).json()
        plans[url] = [query["sql"] for query in ran.captured_queries]
    return plans, answers


def _get(base: str, url: str, token: str) -> bytes:
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(base + url, headers=headers)  # noqa: S310 - our servers
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body: bytes = response.read()
    return body


def against_the_floor(n: int) -> list[Row]:
    user = seed.reader()
    _, token = ApiToken.issue(user, "bench floor")
    plans, answers = _plans(token)
    path = Path(settings.DATA_DIR) / "floor-plans.json"
    path.write_text(json.dumps(plans))
    database = os.environ.get("BENCH_DATABASE_URL") or str(connection.settings_dict["NAME"])
    floor_env = {"FLOOR_PLANS": str(path), "FLOOR_DATABASE": database}
    urls = list(plans)
    with serving() as (ours, _), serving("bench.floor_app:application", floor_env) as (floor, _):
        differing = [u for u in urls if json.loads(_get(floor, u, token)) != answers[u]]
        if differing:
            raise AssertionError(f"the floor's JSON differs from learnloop's for {differing[0]}")
        for url in urls[:10]:  # warm both up
            _get(ours, url, token)
            _get(floor, url, token)
        times: dict[str, list[float]] = {ours: [], floor: []}
        for i in range(n):
            order = (ours, floor) if i % 2 else (floor, ours)
            for base in order:
                started = time.perf_counter()
                _get(base, urls[i % len(urls)], token)
                times[base].append((time.perf_counter() - started) * 1000)
    load = os.getloadavg()[0]
    mine, least = times[ours], times[floor]
    ratio50 = statistics.median(mine) / statistics.median(least)
    ratio95 = percentile(mine, 0.95) / percentile(least, 0.95)
    return [
        row("list API over HTTP, learnloop (interleaved)", mine, "same URLs as the floor"),
        row("list API over HTTP, the floor", least, "same SQL, same JSON, bare WSGI"),
        (
            "learnloop / floor, list API",
            f"{ratio50:.2f}x",
            f"{ratio95:.2f}x",
            f"p50 and p95 ratios; target at most 2x; load average {load:.1f}",
        ),
    ]
