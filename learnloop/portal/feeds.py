"""Atom feeds of published narratives, for the organisation and per team. A feed reader cannot
log in, so each address carries the member's private calendar token (renewable on their
profile): a leaked address is fixed by renewing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.xmlutils import SimplerXMLGenerator

from learnloop.accounts.models import Membership, Team
from learnloop.narratives.models import Narrative
from learnloop.portal.content import html_of, summary_of
from learnloop.portal.queries import listing, published_narratives

ENTRIES = 50


class AtomWithContent(Atom1Feed):
    """Atom with the full narrative as `content` beside the `summary`."""

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


@dataclass
class Subject:
    membership: Membership
    team: Team | None


def member_by_token(token: str) -> Membership:
    membership = (
        Membership.objects.select_related("organisation", "user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )
    if membership is None:
        raise Http404("No such feed.")
    return membership


def entry_id(narrative: Narrative) -> str:
    """A tag URI (RFC 4151): the same for a narrative across revisions, hosts and renames."""
    host = urlparse(settings.BASE_URL).hostname or "learnloop"
    day = narrative.published_at.date().isoformat() if narrative.published_at else "2000-01-01"
    return f"tag:{host},{day}:narratives/{narrative.organisation_id}/{narrative.incident.key}"


class NarrativeFeed(Feed[Narrative, Subject]):
    feed_type = AtomWithContent

    def get_object(self, request: HttpRequest, token: str, team: str | None = None) -> Subject:
        membership = member_by_token(token)
        found = None
        if team is not None:
            found = Team.objects.filter(
                organisation_id=membership.organisation_id, slug=team
            ).first()
            if found is None:
                raise Http404("No such team.")
        return Subject(membership, found)

    def title(self, obj: Subject) -> str:
        org = obj.membership.organisation.name
        return f"{org} · {obj.team.name}: narratives" if obj.team else f"{org}: narratives"

    def subtitle(self, obj: Subject) -> str:
        return "Published incident narratives: what happened and what we learned."

    def link(self, obj: Subject) -> str:
        return reverse("portal") + (f"?team={obj.team.slug}" if obj.team else "")

    def author_name(self, obj: Subject) -> str:
        return obj.membership.organisation.name

    def items(self, obj: Subject) -> list[Narrative]:
        found = published_narratives(obj.membership.organisation_id)
        if obj.team is not None:
            found = found.filter(incident__team=obj.team)
        return list(
            listing(found).select_related(
                "current_publication__version", "current_publication__published_by"
            )[:ENTRIES]
        )

    def item_title(self, item: Narrative) -> str:
        return item.current_publication.title if item.current_publication else item.title

    def item_description(self, item: Narrative) -> str:
        assert item.current_publication is not None
        return summary_of(item, item.current_publication)

    def item_link(self, item: Narrative) -> str:
        return reverse("portal_narrative", args=[item.incident.key])

    def item_guid(self, item: Narrative) -> str:
        return entry_id(item)

    item_guid_is_permalink = False

    def item_pubdate(self, item: Narrative) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: Narrative) -> datetime | None:
        publication = item.current_publication
        return publication.published_at if publication else item.published_at

    def item_author_name(self, item: Narrative) -> str:
        publication = item.current_publication
        person = publication.published_by if publication else None
        if person is not None:
            return person.get_full_name() or person.email
        return item.incident.team.name if item.incident.team else "learnloop"

    def item_extra_kwargs(self, item: Narrative) -> dict[str, Any]:
        assert item.current_publication is not None
        return {"content_html": html_of(item.current_publication)}
