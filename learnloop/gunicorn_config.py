"""Gunicorn's settings and hooks for `learnloop serve` (its `--config`).

The application is loaded once, in the master (`preload_app`), with every view imported, and its
objects frozen out of the garbage collector's reach before the workers fork: the workers then
share those memory pages with the master instead of each holding a copy (a collection in a
worker would otherwise write to every object and copy its page). Python's documentation of
gc.freeze describes the pattern: collections off in the parent, freeze before fork, on again
in each child. Each worker then runs the collector as every learnloop process does
(lib/collector.py). Nothing here opens a database connection before the fork."""

from __future__ import annotations

import gc
import os
from typing import Any

from learnloop.lib import collector

worker_class = "gthread"
workers = int(os.environ.get("LEARNLOOP_WORKERS", "2"))
threads = 4
preload_app = True
logger_class = "learnloop.accesslog.AccessLog"
forwarded_allow_ips = "127.0.0.1"

gc.disable()  # from here to the fork: no collections leaving holes in the pages to be shared


def pre_fork(server: Any, worker: Any) -> None:
    from django.apps import apps

    if apps.ready:  # learnloop's application (the benchmark's floor runs here without Django)
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every view once, for all workers
    gc.freeze()


def post_fork(server: Any, worker: Any) -> None:
    collector.settle()
    gc.enable()
