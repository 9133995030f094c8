"""Python's garbage collector as learnloop's processes run it (the server's workers, the task
worker and every command).

By default Python collects its youngest objects after every 700 new ones. A request that reads
a review's 2,000 key events makes several thousand objects that all live until it answers: each
young collection finds them alive and moves them up, until the oldest generation is walked in
full, some tens of milliseconds each time. The merged timeline of such a review, read again,
took 30 ms usually and 185-200 ms at p95 (bench, 2 cores). Collecting the young every YOUNG new
objects lets most of a request's objects die before any collection sees them: 25-60 ms at p95
over the bench's runs. Cycles of garbage wait a little longer for their collection; the
server's memory after load moved by 0-3 MB.

What a process has loaded by then (Django, every module, the settings) is frozen out of the
collector's reach: it lives as long as the process, and walking it again and again finds
nothing to free. Gunicorn's workers are frozen before they fork (gunicorn_config.py)."""

from __future__ import annotations

import gc

YOUNG = 10_000  # new objects between collections of the youngest generation (Python: 700)


def settle() -> None:
    """The collector as learnloop runs: what is loaded frozen, the young collected less often."""
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, oldest)
