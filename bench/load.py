"""Under load, over HTTP (gunicorn as `learnloop serve` runs it): incidents created through the
API by 16 clients at once, the list and incident API read by 8 at once, and both mixed at 16.
Every answer that is not 2xx is counted: the goal is none. The creates go to an organisation of
their own, deleted afterwards with everything it holds."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.models import User

from bench import seed
from bench.measure import Row, memory_mb, percentile, serving
from learnloop.accounts.models import ApiToken, Membership, Organisation, Role, Team
from learnloop.incidents.models import Incident


def _call(base: str, token: str, method: str, path: str, body: dict[str, object] | None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - our own server
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0  # no answer at all


def _together(
    clients: int, n: int, request: Callable[[int], int]
) -> tuple[float, list[float], Counter[int]]:
    """n requests by `clients` threads at once: requests a second, latencies (ms), statuses."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()

    def one(i: int) -> None:
        started = time.perf_counter()
        status = request(i)
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(n)))
    return n / (time.perf_counter() - started), latencies, statuses


def _row(what: str, result: tuple[float, list[float], Counter[int]]) -> Row:
    rate, latencies, statuses = result
    failed = sum(count for status, count in statuses.items() if not 200 <= status < 300)
    note = f"p50 {percentile(latencies, 0.5):.1f} ms; {failed} of {len(latencies)} not 2xx"
    if failed:
        note += " " + str(dict(statuses))
    return (what, f"{rate:.0f}/s", f"{percentile(latencies, 0.95):.1f} ms", note)


def under_load(org: Organisation, n: int) -> list[Row]:
    target = Organisation.objects.create(name="Load bench", slug="bench-load")
    try:
        team = Team.objects.create(organisation=target, name="Load", slug="load")
        writer = User.objects.create_user("load@bench.test", "load@bench.test")
        Membership.objects.create(
            user=writer, organisation=target, role=Role.PRODUCT_MANAGER, team=team
        )
        _, write_token = ApiToken.issue(writer, "bench load")
        reader = seed.reader()
        _, read_token = ApiToken.issue(reader, "bench load")
        keys = list(
            Incident.objects.filter(organisation=org)
            .order_by("?")
            .values_list("key", flat=True)[:500]
        )

        with serving() as (base, server):

            def create(i: int) -> int:
                body = {"title": f"Load {i}", "team": "load", "severity": 2 + i % 3}
                return _call(base, write_token, "POST", "/api/v1/incidents", body)

            def read(i: int) -> int:
                path = (
                    f"/api/v1/incidents?team=team-{i % 50:02}"
                    if i % 2
                    else f"/api/v1/incidents/{keys[i % len(keys)]}"
                )
                return _call(base, read_token, "GET", path, None)

            def mixed(i: int) -> int:
                return create(n + i) if i % 4 == 0 else read(i)

            for i in range(10):  # warm up
                read(i)
            rows = [
                _row("create through the API, 16 clients at once", _together(16, n, create)),
                _row("list and incident API, 8 clients at once", _together(8, n, read)),
                _row("reads and creates mixed, 16 clients at once", _together(16, n, mixed)),
            ]
            rss, pss = memory_mb(server.pid)
            rows.append(
                (
                    "server memory after the load above (master + 2 workers)",
                    f"{pss:.0f} MB",
                    "",
                    f"proportional set size (shared pages counted once); resident {rss:.0f} MB",
                )
            )
    finally:
        _delete(target)
    return rows


def _delete(organisation: Organisation) -> None:
    """The organisation and everything it holds (its incidents take their search documents)."""
    tokens = ApiToken.objects.filter(name="bench load")
    User.objects.filter(username="load@bench.test").delete()
    tokens.delete()
    organisation.delete()
