"""A 100,000-message Slack export imported into an incident's timeline candidates by
`learnloop chat-import` in its own process: seconds, and that process's peak memory. The
candidates are deleted afterwards."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.measure import Row
from learnloop.accounts.models import Organisation
from learnloop.chat import sample
from learnloop.chat.models import ChatImport
from learnloop.incidents.models import Incident


def import_export(org: Organisation, messages: int = 100_000) -> list[Row]:
    incident = Incident.objects.filter(organisation=org).order_by("id").first()
    assert incident is not None
    export = sample.write(messages=messages)
    folder = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    path = folder / "export.zip"
    path.write_bytes(export.data)
    learnloop = str(Path(sys.executable).with_name("learnloop"))
    command = [learnloop, "chat-import", str(path), "--incident", incident.key]
    command += ["--channel", sample.CHANNEL[1], "--org", org.slug]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, env=os.environ.copy(), capture_output=True, text=True)
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ChatImport.objects.filter(incident=incident).delete()
    path.unlink()
    folder.rmdir()
    if done.returncode != 0:
        return [("chat import", "failed", "", done.stderr[-200:])]
    size = len(export.data) / 1e6
    note = f"{export.messages:,} messages kept of {messages:,}, {size:.1f} MB ZIP"
    return [
        ("Slack export into candidates (chat-import)", f"{took:.1f} s", "", note),
        (
            "  its peak memory (RSS)",
            f"{max(peak, before) / 1024:.0f} MB",
            "",
            f"{export.messages / took:,.0f} messages/s",
        ),
    ]
