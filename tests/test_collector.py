"""Every learnloop process runs Python's garbage collector alike (lib/collector.py): the server's
workers after their fork, and the `learnloop` command (the task worker and imports among its
commands). Each is checked in a process of its own, since settling freezes what it has loaded."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

from learnloop.cli import main
from learnloop.lib.collector import YOUNG
from tests.conftest import World

# Prints whether the collector runs, its youngest threshold and whether anything is frozen.
REPORT = "import gc; print(gc.isenabled(), gc.get_threshold()[0], gc.get_freeze_count() > 0)"


def run_python(code: str, data_dir: Path) -> str:
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(data_dir), "LEARNLOOP_DATABASE_URL": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_a_server_worker_settles_its_collector_after_the_fork(tmp_path: Path):
    code = (
        "from learnloop import gunicorn_config; import gc; "
        "print(gc.isenabled(), gc.get_threshold()[0]); "  # the master, loading the application
        "gunicorn_config.pre_fork(None, None); gunicorn_config.post_fork(None, None); "
        f"{REPORT}"
    )
    master, worker = run_python(code, tmp_path).splitlines()
    assert master == "False 700"
    assert worker == f"True {YOUNG} True"


def test_the_command_settles_its_collector_before_it_runs(tmp_path: Path):
    code = (
        "from learnloop import cli; "
        f"cli.main = lambda: exec({REPORT!r}) or 0; "  # what a command would find
        "raise SystemExit(cli.run())"
    )
    assert run_python(code, tmp_path) == f"True {YOUNG} True"


def test_a_command_run_in_this_process_leaves_the_collector_alone(world: World):
    """Tests call `cli.main` directly: their process keeps Python's defaults."""
    assert main(["token", "create", "alice@acme.test", "--name", "nightly"]) == 0
    assert gc.get_threshold()[0] != YOUNG
    assert gc.get_freeze_count() == 0
