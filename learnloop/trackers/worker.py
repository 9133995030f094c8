"""`learnloop worker`: delivers what is due, and now and then reads trackers' statuses."""

from __future__ import annotations

import time

from learnloop.trackers import services
from learnloop.trackers.models import TrackerConnection


def reconcile_all() -> int:
    return sum(services.reconcile(c) for c in TrackerConnection.objects.all())


def run(once: bool, reconcile_every: int, poll_seconds: float = 2.0) -> int:
    if once:
        delivered = services.run_once()
        moved = reconcile_all() if reconcile_every else 0
        print(f"delivered {delivered}, statuses moved {moved}")
        return 0
    print("learnloop worker: delivering; Ctrl-C stops", flush=True)
    last_reconcile = 0.0
    try:
        while True:
            delivered = services.run_once()
            if reconcile_every and time.monotonic() - last_reconcile >= reconcile_every:
                reconcile_all()
                last_reconcile = time.monotonic()
            if not delivered:
                time.sleep(poll_seconds)
    except KeyboardInterrupt:
        return 0
