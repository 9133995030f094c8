"""Search through the API: the same hits, by the same rights, as the search page."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router

from learnloop.api.common import Schema, member
from learnloop.insights.search import Hit, search

router = Router(tags=["search"])


class HitOut(Schema):
    kind: str = Field(description="incident, key_event, action or narrative")
    key: str = Field(description="The incident's key")
    title: str
    snippet: str = Field(description="The start of the matching text, at most 200 characters")
    url: str = Field(description="The page where the hit is read")

    @staticmethod
    def of(hit: Hit) -> HitOut:
        return HitOut(
            kind=hit.kind, key=hit.incident_key, title=hit.title, snippet=hit.snippet, url=hit.url
        )


class SearchPage(Schema):
    items: list[HitOut]
    order: str = Field(
        description="`relevance`: the best matches first; `newest`: the words are in so many "
        "documents (over 5,000) that the most recently written are listed first instead of "
        "ranking them all"
    )
    next_offset: int | None = Field(None, description="Pass as `offset` for the next page.")


class SearchQuery(Schema):
    q: str = Field(..., max_length=200, description="Words to find; every word must match")
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0, le=10_000)


@router.get(
    "/search",
    response=SearchPage,
    summary="Find incidents, key events, improvement actions and published narratives; only "
    "what the caller may read on the pages",
)
def search_api(request: HttpRequest, query: Query[SearchQuery]) -> SearchPage:
    membership = member(request)
    hits = search(membership, query.q, limit=query.limit + 1, offset=query.offset)
    more = len(hits) > query.limit
    return SearchPage(
        items=[HitOut.of(h) for h in hits[: query.limit]],
        order="newest" if hits.newest_first else "relevance",
        next_offset=query.offset + query.limit if more else None,
    )
