"""Background work of the portal: invitations to walkthroughs and playbacks, emailed with their
.ics by `learnloop worker` once the scheduling transaction has committed (the task row is
written in that same transaction)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from learnloop.narratives.models import Walkthrough
from learnloop.portal.invitations import invitation


@task()
def send_walkthrough_invitations(walkthrough_id: int) -> int:
    """One email per attendee with their .ics; returns how many were sent."""
    walkthrough = (
        Walkthrough.objects.select_related("narrative__incident", "organiser")
        .filter(pk=walkthrough_id)
        .first()
    )
    if walkthrough is None:
        return 0
    narrative = walkthrough.narrative
    key = narrative.incident.key
    what = walkthrough.get_kind_display()
    moved = " (moved)" if walkthrough.sequence else ""
    sent = 0
    for attendee in walkthrough.attendees.select_related("user").order_by("id"):
        person = attendee.user
        if not person.email:
            continue
        context = {
            "walkthrough": walkthrough,
            "narrative": narrative,
            "what": what,
            "person": person,
            "link": settings.BASE_URL + reverse("portal_narrative", args=[key]),
        }
        message = EmailMultiAlternatives(
            subject=f"{what} of {key}: {narrative.title}{moved}",
            body=render_to_string("portal/email/invitation.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
        )
        message.attach_alternative(
            render_to_string("portal/email/invitation.html", context), "text/html"
        )
        message.attach(
            f"{walkthrough.kind}-{key}.ics",
            invitation(walkthrough, person),
            "text/calendar; method=REQUEST; charset=utf-8",
        )
        message.send()
        sent += 1
    return sent
