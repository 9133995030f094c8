"""`{% narrative_link incident %}`: the way from an incident's page to its narrative, for the
people who may see the narrative while it is written."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html

from learnloop.accounts.rights import can_see_narrative_drafts
from learnloop.incidents.models import Incident

register = template.Library()


@register.simple_tag(takes_context=True)
def narrative_link(context: dict[str, Any], incident: Incident) -> str:
    membership = context.get("membership")
    if membership is None or not can_see_narrative_drafts(membership, incident):
        return ""
    return format_html(
        '<a href="{}">Narrative</a>', reverse("narrative_edit", kwargs={"key": incident.key})
    )
