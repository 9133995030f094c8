"""Jira Cloud (REST v3, descriptions in Atlassian Document Format) and Jira Data Center
(REST v2 under the server's /rest URL, descriptions in wiki text)."""

from __future__ import annotations

from typing import Any

from learnloop.integrations.base import PermanentError, Settings, Ticket, TicketRef, send


def adf(text: str) -> dict[str, Any]:
    """Plain paragraphs as an ADF document; a line starting with http becomes a link."""
    content = []
    for paragraph in [p for p in text.split("\n\n") if p.strip()]:
        nodes: list[dict[str, Any]] = []
        for number, line in enumerate(paragraph.split("\n")):
            if number:
                nodes.append({"type": "hardBreak"})
            if line.startswith(("http://", "https://")):
                nodes.append(
                    {
                        "type": "text",
                        "text": line,
                        "marks": [{"type": "link", "attrs": {"href": line}}],
                    }
                )
            elif line:
                nodes.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


class JiraCloud:
    kind = "jira_cloud"
    api = "/rest/api/3"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.base_url.rstrip("/")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = send(method, f"{self.root}{self.api}{path}", **self._auth(), **kwargs)
        return response.json() if response.content else None

    def _auth(self) -> dict[str, Any]:
        return {
            "auth": (self.settings.account, self.settings.token),
            "headers": {"Accept": "application/json"},
        }

    def description(self, text: str) -> Any:
        return adf(text)

    def browse(self, key: str) -> str:
        return f"{self.root}/browse/{key}"

    def test(self) -> str:
        me = self._call("GET", "/myself")
        return str(me.get("displayName") or me.get("emailAddress") or me.get("name") or "?")

    def _search(self, jql: str) -> list[dict[str, Any]]:
        found = self._call(
            "POST", "/search/jql", json={"jql": jql, "maxResults": 1, "fields": ["status"]}
        )
        return list(found.get("issues", []))

    def find(self, marker: str) -> TicketRef | None:
        issues = self._search(f'labels = "{marker}"')
        return TicketRef(issues[0]["key"], self.browse(issues[0]["key"])) if issues else None

    def create(self, ticket: Ticket) -> TicketRef:
        body = {
            "fields": {
                "project": {"key": self.settings.project},
                "issuetype": {"name": self.settings.issue_type or "Task"},
                "summary": ticket.title[:250],
                "description": self.description(f"{ticket.description}\n\n{ticket.link}"),
                "labels": [*ticket.labels, ticket.marker],
            }
        }
        created = self._call("POST", "/issue", json=body)
        if not created or "key" not in created:
            raise PermanentError("Jira answered without an issue key")
        return TicketRef(created["key"], self.browse(created["key"]))

    def status_of(self, key: str) -> str:
        issue = self._call("GET", f"/issue/{key}", params={"fields": "status"})
        return str(issue["fields"]["status"]["name"])


class JiraDataCenter(JiraCloud):
    """The base URL is the server's REST root, e.g. https://jira.example.org/rest; a personal
    access token authenticates."""

    kind = "jira_dc"
    api = "/api/2"

    def _auth(self) -> dict[str, Any]:
        return {
            "headers": {
                "Accept": "application/json",
                "Authorization": f"Bearer {self.settings.token}",
            }
        }

    def description(self, text: str) -> Any:
        return text

    def browse(self, key: str) -> str:
        root = self.root[: -len("/rest")] if self.root.endswith("/rest") else self.root
        return f"{root}/browse/{key}"

    def _search(self, jql: str) -> list[dict[str, Any]]:
        found = self._call(
            "POST", "/search", json={"jql": jql, "maxResults": 1, "fields": ["status"]}
        )
        return list(found.get("issues", []))
