"""Linear (GraphQL): an issue per action in the team's Linear team (project setting: team id)."""

from __future__ import annotations

from typing import Any

from learnloop.integrations.base import PermanentError, Settings, Ticket, TicketRef, send

VIEWER = "query Viewer { viewer { name email } }"
FIND = """query FindIssue($marker: String!) {
  issues(filter: { description: { contains: $marker } }, first: 1) {
    nodes { identifier url }
  }
}"""
CREATE = """mutation CreateIssue($input: IssueCreateInput!) {
  issueCreate(input: $input) { success issue { identifier url } }
}"""
STATUS = """query IssueStatus($id: String!) { issue(id: $id) { state { name } } }"""


class Linear:
    kind = "linear"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.base_url.rstrip("/") or "https://api.linear.app/graphql"

    def _query(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = send(
            "POST",
            self.url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": self.settings.token},
        )
        payload = response.json()
        if payload.get("errors"):
            raise PermanentError(f"Linear: {payload['errors'][0].get('message', 'error')}")
        return payload["data"]

    def test(self) -> str:
        viewer = self._query(VIEWER)["viewer"]
        return str(viewer.get("name") or viewer.get("email"))

    def find(self, marker: str) -> TicketRef | None:
        nodes = self._query(FIND, {"marker": marker})["issues"]["nodes"]
        return TicketRef(nodes[0]["identifier"], nodes[0]["url"]) if nodes else None

    def create(self, ticket: Ticket) -> TicketRef:
        labels = " ".join(f"`{label}`" for label in ticket.labels)
        description = f"{ticket.description}\n\n{ticket.link}\n\n{labels}\n\n{ticket.marker}"
        created = self._query(
            CREATE,
            {
                "input": {
                    "teamId": self.settings.project,
                    "title": ticket.title[:250],
                    "description": description,
                }
            },
        )["issueCreate"]
        if not created.get("success"):
            raise PermanentError("Linear did not create the issue")
        return TicketRef(created["issue"]["identifier"], created["issue"]["url"])

    def status_of(self, key: str) -> str:
        return str(self._query(STATUS, {"id": key})["issue"]["state"]["name"])
