"""What each channel says about a published revision: an email with HTML and plain-text parts,
a Slack Block Kit summary, a Confluence page in storage format. All of them link back to the
narrative's stable address in the portal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape

from learnloop.integrations.confluence.transport import Page
from learnloop.lib.markdown import render
from learnloop.narratives.models import Publication

SUMMARY_CHARS = 600


@dataclass
class Story:
    """A published revision, in the words every channel needs."""

    key: str
    title: str
    revision: int
    team: str
    service: str
    severity: str
    summary: str  # plain text
    body: str  # Markdown
    link: str
    published: str


def portal_link(key: str) -> str:
    return f"{settings.BASE_URL}/narratives/{quote(key)}/"


def summary_of(markdown: str, fallback: str) -> str:
    """The text of the narrative's Summary section, else the incident's summary, else the
    first paragraph: what a reader needs to decide to read on."""
    section = re.search(
        r"^#{1,3}\s*summary\s*$\n(.*?)(?=^#{1,3}\s|\Z)", markdown, re.I | re.M | re.S
    )
    text = section.group(1) if section else fallback
    if not text.strip():
        text = next(
            (p for p in re.split(r"\n\s*\n", markdown) if p.strip() and not p.startswith("#")),
            "",
        )
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


def story_of(publication: Publication) -> Story:
    narrative = publication.narrative
    incident = narrative.incident
    body = publication.version.body
    return Story(
        key=incident.key,
        title=publication.title,
        revision=publication.revision,
        team=incident.team.name if incident.team else "—",
        service=incident.service.name if incident.service else "—",
        severity=f"SEV{incident.severity}" if incident.severity else "—",
        summary=summary_of(body, incident.summary),
        body=body,
        link=portal_link(incident.key),
        published=publication.published_at.strftime("%d %b %Y %H:%M UTC"),
    )


@dataclass
class Email:
    subject: str
    text: str
    html: str


def email_of(story: Story) -> Email:
    context = {"story": story, "html_body": render(story.body)}
    return Email(
        subject=f"[learnloop] {story.title}"
        + (f" (revision {story.revision})" if story.revision > 1 else ""),
        text=render_to_string("publishing/email.txt", context),
        html=render_to_string("publishing/email.html", context),
    )


def _mrkdwn(text: str) -> str:
    """Slack's mrkdwn escapes only these three; everything else is literal text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(story: Story) -> dict[str, Any]:
    revised = f" (revision {story.revision})" if story.revision > 1 else ""
    return {
        "text": f"Published: {story.title}{revised} {story.link}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": story.title[:150]}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _mrkdwn(story.summary or story.title)[:3000]},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Team*\n{_mrkdwn(story.team)}"},
                    {"type": "mrkdwn", "text": f"*Service*\n{_mrkdwn(story.service)}"},
                    {"type": "mrkdwn", "text": f"*Severity*\n{story.severity}"},
                ],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Read the narrative"},
                        "url": story.link,
                        "action_id": "read_narrative",
                    }
                ],
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{story.key} · revision {story.revision} · {story.published}",
                    }
                ],
            },
        ],
        "unfurl_links": False,
        "unfurl_media": False,
    }


_VOID = re.compile(r"<(br|hr)(\s[^>]*)?>")


def storage_format(html: str) -> str:
    """Confluence storage format is XHTML: void elements closed, no named HTML entities."""
    xhtml = _VOID.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''} />", html)
    return xhtml.replace("&nbsp;", "&#160;")


def page_title(story: Story) -> str:
    """Stable for the narrative, so that the page is found again and updated, never doubled."""
    return f"{story.key}: {story.title}"[:255]


def confluence_page(story: Story) -> Page:
    intro = (
        f"<p><em>Revision {story.revision}, published {escape(story.published)} in learnloop. "
        f'Read it, and its history, at <a href="{escape(story.link)}">{escape(story.link)}</a>.'
        "</em></p>"
    )
    return Page(
        title=page_title(story),
        body=intro + storage_format(render(story.body)),
        version_message=f"learnloop revision {story.revision}",
    )
