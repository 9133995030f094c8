"""Confluence pages: Cloud (REST v2 under /wiki/api/v2, an account email and API token) and Data
Center (REST under /rest/api/content, a personal access token as bearer). A page is found by its
title in the space before one is created, so that an attempt after a lost answer never makes a
second page; a page is updated with its version number plus one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnloop.integrations.base import PermanentError, send


@dataclass
class Page:
    """What learnloop writes: a title unique in the space, and a body in storage format."""

    title: str
    body: str  # XHTML storage format
    version_message: str  # marks the revision written, so a repeated update is recognised


@dataclass
class PageRef:
    id: str
    version: int
    url: str
    version_message: str = ""


@dataclass
class Site:
    """A channel's Confluence settings, secrets already decrypted."""

    base_url: str
    account: str
    token: str
    space: str  # Cloud: the space id; Data Center: the space key
    parent_id: str = ""


def page_ref(page: dict[str, Any], root: str, webui: str) -> PageRef:
    """A page as both APIs describe it: id, version, and its address (base + webui links)."""
    links = page.get("_links") or {}
    version = page.get("version") or {}
    return PageRef(
        id=str(page["id"]),
        version=int(version.get("number") or 1),
        url=str(links.get("base") or root) + str(links.get("webui") or webui),
        version_message=str(version.get("message") or ""),
    )


class ConfluenceCloud:
    kind = "confluence_cloud"

    def __init__(self, site: Site) -> None:
        self.site = site
        root = site.base_url.rstrip("/")
        self.wiki = root if root.endswith("/wiki") else f"{root}/wiki"

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = send(
            method,
            f"{self.wiki}/api/v2{path}",
            auth=(self.site.account, self.site.token),
            headers={"Accept": "application/json"},
            **kwargs,
        )
        return response.json() if response.content else {}

    def _ref(self, page: dict[str, Any]) -> PageRef:
        return page_ref(page, self.wiki, f"/pages/{page['id']}")

    def test(self) -> str:
        found = self._call("GET", "/spaces", params={"ids": self.site.space, "limit": 1})
        spaces = found.get("results") or []
        if not spaces:
            raise PermanentError(f"No space with id {self.site.space} is visible to this account.")
        return f"Space {spaces[0].get('name') or spaces[0].get('key')} is reachable."

    def find(self, title: str) -> PageRef | None:
        found = self._call(
            "GET",
            "/pages",
            params={"space-id": self.site.space, "title": title, "status": "current", "limit": 1},
        )
        pages = found.get("results") or []
        return self._ref(pages[0]) if pages else None

    def find_by_id(self, page_id: str) -> PageRef | None:
        try:
            return self._ref(self._call("GET", f"/pages/{page_id}"))
        except PermanentError:
            return None  # deleted in Confluence: a new page is made

    def create(self, page: Page) -> PageRef:
        body: dict[str, Any] = {
            "spaceId": self.site.space,
            "status": "current",
            "title": page.title,
            "body": {"representation": "storage", "value": page.body},
        }
        if self.site.parent_id:
            body["parentId"] = self.site.parent_id
        created = self._call("POST", "/pages", json=body)
        if "id" not in created:
            raise PermanentError("Confluence answered without a page id")
        return self._ref(created)

    def update(self, ref: PageRef, page: Page) -> PageRef:
        body = {
            "id": ref.id,
            "status": "current",
            "title": page.title,
            "body": {"representation": "storage", "value": page.body},
            "version": {"number": ref.version + 1, "message": page.version_message},
        }
        return self._ref(self._call("PUT", f"/pages/{ref.id}", json=body))


class ConfluenceDataCenter:
    kind = "confluence_dc"

    def __init__(self, site: Site) -> None:
        self.site = site
        self.root = site.base_url.rstrip("/")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = send(
            method,
            f"{self.root}/rest/api{path}",
            headers={"Accept": "application/json", "Authorization": f"Bearer {self.site.token}"},
            **kwargs,
        )
        return response.json() if response.content else {}

    def _ref(self, page: dict[str, Any]) -> PageRef:
        return page_ref(page, self.root, f"/pages/viewpage.action?pageId={page['id']}")

    def test(self) -> str:
        space = self._call("GET", f"/space/{self.site.space}")
        return f"Space {space.get('name') or self.site.space} ({self.site.space}) is reachable."

    def find(self, title: str) -> PageRef | None:
        found = self._call(
            "GET",
            "/content",
            params={
                "type": "page",
                "spaceKey": self.site.space,
                "title": title,
                "expand": "version",
                "limit": 1,
            },
        )
        pages = found.get("results") or []
        return self._ref(pages[0]) if pages else None

    def find_by_id(self, page_id: str) -> PageRef | None:
        try:
            return self._ref(self._call("GET", f"/content/{page_id}", params={"expand": "version"}))
        except PermanentError:
            return None  # deleted in Confluence: a new page is made

    def _content(self, page: Page) -> dict[str, Any]:
        return {
            "type": "page",
            "title": page.title,
            "space": {"key": self.site.space},
            "body": {"storage": {"value": page.body, "representation": "storage"}},
        }

    def create(self, page: Page) -> PageRef:
        body = self._content(page)
        if self.site.parent_id:
            body["ancestors"] = [{"id": self.site.parent_id}]
        created = self._call("POST", "/content", json=body)
        if "id" not in created:
            raise PermanentError("Confluence answered without a page id")
        return self._ref(created)

    def update(self, ref: PageRef, page: Page) -> PageRef:
        body = {
            "id": ref.id,
            **self._content(page),
            "version": {"number": ref.version + 1, "message": page.version_message},
        }
        return self._ref(self._call("PUT", f"/content/{ref.id}", json=body))


def site_adapter(kind: str, site: Site) -> ConfluenceCloud | ConfluenceDataCenter:
    return ConfluenceCloud(site) if kind == ConfluenceCloud.kind else ConfluenceDataCenter(site)
