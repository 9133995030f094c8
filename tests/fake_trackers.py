"""A local server that speaks enough of Jira (Cloud and Data Center), Trello, GitHub and Linear
for learnloop's adapters, over real sockets, and misbehaves on request: 500s, 429 with
Retry-After, slow answers, and connections dropped after the ticket was stored."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fake_http import Recorded, RecordingHandler


@dataclass
class State:
    tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # applied to the next creates, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def store(self, title: str, text: str, labels: list[str]) -> str:
        key = f"LL-{len(self.tickets) + 1}"
        self.tickets[key] = {"title": title, "text": text, "labels": labels, "status": "To Do"}
        return key

    def find(self, needle: str) -> str | None:
        for key, ticket in self.tickets.items():
            if needle in ticket["labels"] or needle in ticket["text"]:
                return key
        return None


class Handler(RecordingHandler):
    state: State
    base: str

    def _create(self, title: str, text: str, labels: list[str], reply: Any) -> None:
        fault = self._fault()
        if fault == "500":
            return self._reply(500, {"error": "boom"})
        if fault == "429":
            return self._reply(429, {"error": "slow down"}, {"Retry-After": "7"})
        if fault == "401":
            return self._reply(401, {"errorMessages": ["bad credentials"]})
        if fault == "slow":
            time.sleep(2)
        with self.state.lock:
            key = self.state.store(title, text, labels)
        if fault == "drop":  # stored, then the connection dies before any answer
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return self._reply(201, reply(key))

    def _route(self, r: Recorded) -> None:
        path, body = r.path, r.body or {}
        # Jira Cloud (/rest/api/3) and Data Center (/rest/api/2)
        if m := re.fullmatch(r"/rest/api/[23]/myself", path):
            return self._reply(200, {"displayName": "learnloop bot"})
        if re.fullmatch(r"/rest/api/(3/search/jql|2/search)", path):
            label = re.search(r'labels = "([^"]+)"', body.get("jql", ""))
            key = self.state.find(label.group(1)) if label else None
            issues = [{"key": key, "fields": {"status": {"name": "To Do"}}}] if key else []
            return self._reply(200, {"issues": issues})
        if re.fullmatch(r"/rest/api/[23]/issue", path):
            fields = body["fields"]
            text = json.dumps(fields.get("description"))
            return self._create(
                fields["summary"],
                text,
                fields.get("labels", []),
                lambda key: {"id": "1", "key": key, "self": f"{self.base}/{key}"},
            )
        if m := re.fullmatch(r"/rest/api/[23]/issue/([^/]+)", path):
            ticket = self.state.tickets.get(m.group(1))
            if ticket is None:
                return self._reply(404, {})
            return self._reply(
                200, {"key": m.group(1), "fields": {"status": {"name": ticket["status"]}}}
            )
        # Trello (/1)
        if m := re.fullmatch(r"/1/lists/([^/]+)", path):
            list_id = m.group(1)
            return self._reply(200, {"id": list_id, "name": list_id.removeprefix("list-")})
        if re.fullmatch(r"/1/lists/[^/]+/cards", path):
            cards = [
                {"id": k, "desc": t["text"], "url": f"{self.base}/c/{k}"}
                for k, t in self.state.tickets.items()
            ]
            return self._reply(200, cards)
        if path == "/1/cards":
            q = {k: v[0] for k, v in r.query.items()}
            return self._create(
                q["name"],
                q.get("desc", ""),
                [],
                lambda key: {"id": key, "url": f"{self.base}/c/{key}"},
            )
        if m := re.fullmatch(r"/1/cards/([^/]+)", path):
            card = self.state.tickets[m.group(1)]
            return self._reply(
                200, {"id": m.group(1), "idList": f"list-{card['status']}", "closed": False}
            )
        # GitHub (/gh)
        if re.fullmatch(r"/gh/repos/[^/]+/[^/]+", path):
            return self._reply(200, {"full_name": "acme/payments"})
        if re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues", path):
            if r.method == "GET":
                return self._reply(
                    200,
                    [
                        {"number": int(k[3:]), "body": t["text"], "html_url": f"{self.base}/i/{k}"}
                        for k, t in self.state.tickets.items()
                    ],
                )
            return self._create(
                body["title"],
                body.get("body", ""),
                body.get("labels", []),
                lambda key: {"number": int(key[3:]), "html_url": f"{self.base}/i/{key}"},
            )
        if m := re.fullmatch(r"/gh/repos/[^/]+/[^/]+/issues/(\d+)", path):
            issue = self.state.tickets[f"LL-{m.group(1)}"]
            state = "closed" if issue["status"] == "Done" else "open"
            return self._reply(200, {"number": int(m.group(1)), "state": state})
        # Linear (/graphql)
        if path == "/graphql":
            query, variables = body["query"], body.get("variables", {})
            if "viewer" in query:
                return self._reply(200, {"data": {"viewer": {"name": "learnloop bot"}}})
            if "issueCreate" in query:
                data = variables["input"]
                return self._create(
                    data["title"],
                    data.get("description", ""),
                    [],
                    lambda key: {
                        "data": {
                            "issueCreate": {
                                "success": True,
                                "issue": {"identifier": key, "url": f"{self.base}/l/{key}"},
                            }
                        }
                    },
                )
            if "issues(" in query:
                key = self.state.find(variables["marker"])
                nodes = [{"identifier": key, "url": f"{self.base}/l/{key}"}] if key else []
                return self._reply(200, {"data": {"issues": {"nodes": nodes}}})
            if "issue(" in query:
                status = self.state.tickets[variables["id"]]["status"]
                return self._reply(200, {"data": {"issue": {"state": {"name": status}}}})
        return self._reply(404, {"error": f"no route {r.method} {path}"})


class FakeTrackers:
    def __init__(self) -> None:
        self.state = State()
        handler: type[Handler] = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        handler.base = self.base
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def created(self) -> list[Recorded]:
        creating = ("/rest/api/3/issue", "/rest/api/2/issue", "/1/cards")
        return [
            r
            for r in self.state.requests
            if r.method == "POST"
            and (
                r.path in creating
                or r.path.endswith("/issues")
                or (r.path == "/graphql" and "issueCreate" in r.body["query"])
            )
        ]
