"""GitHub Issues: an issue per action in the team's repository (the project setting: owner/repo)."""

from __future__ import annotations

from typing import Any

from learnloop.integrations.base import PermanentError, Settings, Ticket, TicketRef, send


class GitHub:
    kind = "github"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.base_url.rstrip("/") or "https://api.github.com"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.settings.token}",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        return send(method, f"{self.root}{path}", headers=headers, **kwargs).json()

    @property
    def repo(self) -> str:
        if self.settings.project.count("/") != 1:
            raise PermanentError("The repository must be given as owner/name")
        return f"/repos/{self.settings.project}"

    def test(self) -> str:
        self._call("GET", f"{self.repo}/issues", params={"per_page": 1})
        return f"a reader of {self.settings.project}"

    def find(self, marker: str) -> TicketRef | None:
        issues = self._call(
            "GET",
            f"{self.repo}/issues",
            params={"labels": "learnloop", "state": "all", "per_page": 100},
        )
        for issue in issues:
            if marker in (issue.get("body") or ""):
                return TicketRef(str(issue["number"]), issue["html_url"])
        return None

    def create(self, ticket: Ticket) -> TicketRef:
        body = f"{ticket.description}\n\n{ticket.link}\n\n<!-- {ticket.marker} -->"
        issue = self._call(
            "POST",
            f"{self.repo}/issues",
            json={"title": ticket.title[:250], "body": body, "labels": ticket.labels},
        )
        return TicketRef(str(issue["number"]), issue["html_url"])

    def status_of(self, key: str) -> str:
        return str(self._call("GET", f"{self.repo}/issues/{key}")["state"])
