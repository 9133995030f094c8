"""What every local fake of a vendor's HTTP API shares: each request recorded (method, path,
query, JSON body, headers), answers in JSON or text, and faults taken from a list, in order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


class RecordingHandler(BaseHTTPRequestHandler):
    """Subclasses set `state` (with `requests`, `faults` and `lock`) and write `_route`."""

    state: Any
    base: str

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        data = text.encode()
        self.send_response(status)
        kind = "text/plain" if isinstance(body, str) else "application/json"
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> Recorded:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        recorded = Recorded(
            self.command,
            parts.path,
            parse_qs(parts.query),
            json.loads(raw) if raw else None,
            dict(self.headers.items()),
        )
        with self.state.lock:
            self.state.requests.append(recorded)
        return recorded

    def _route(self, r: Recorded) -> None:
        """Each fake answers its own vendor's paths; here, nothing is found."""
        self._reply(404, {"message": f"no route for {r.method} {r.path}"})

    def do_GET(self) -> None:
        self._route(self._record())

    def do_POST(self) -> None:
        self._route(self._record())

    def do_PUT(self) -> None:
        self._route(self._record())

    def _fault(self) -> str | None:
        with self.state.lock:
            return self.state.faults.pop(0) if self.state.faults else None
