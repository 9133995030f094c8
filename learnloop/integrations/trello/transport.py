"""Trello: a card per action in the team's list (the project setting holds the list id).
Trello authenticates with an API key (the account setting) and a token, as query parameters."""

from __future__ import annotations

from typing import Any

from learnloop.integrations.base import PermanentError, Settings, Ticket, TicketRef, send


class Trello:
    kind = "trello"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.base_url.rstrip("/") or "https://api.trello.com/1"

    def _call(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        query = {"key": self.settings.account, "token": self.settings.token, **(params or {})}
        return send(method, f"{self.root}{path}", params=query).json()

    def test(self) -> str:
        found = self._call("GET", f"/lists/{self.settings.project}", {"fields": "name"})
        return f"list {found.get('name', self.settings.project)}"

    def find(self, marker: str) -> TicketRef | None:
        for card in self._call("GET", f"/lists/{self.settings.project}/cards"):
            if marker in (card.get("desc") or ""):
                return TicketRef(card["id"], card.get("url") or card.get("shortUrl", ""))
        return None

    def create(self, ticket: Ticket) -> TicketRef:
        labels = " ".join(f"#{label}" for label in ticket.labels)
        desc = f"{ticket.description}\n\n{ticket.link}\n\n{labels}\n\n{ticket.marker}"
        card = self._call(
            "POST",
            "/cards",
            {"idList": self.settings.project, "name": ticket.title[:250], "desc": desc},
        )
        if "id" not in card:
            raise PermanentError("Trello answered without a card id")
        return TicketRef(card["id"], card.get("url") or card.get("shortUrl", ""))

    def status_of(self, key: str) -> str:
        card = self._call("GET", f"/cards/{key}", {"fields": "idList,closed"})
        if card.get("closed"):
            return "closed"
        return str(self._call("GET", f"/lists/{card['idList']}", {"fields": "name"})["name"])
