"""Background work of the portal: invitations to walkthroughs and playbacks, emailed with their
.ics by `learnloop worker` once the scheduling transaction has committed (the task row is
written in that same transaction)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from learnloop.mail.models import MailPurpose
from learnloop.mail.outbox import compose, deliver
from learnloop.narratives.models import Walkthrough
from learnloop.portal.invitations import invitation


@task()
def send_walkthrough_invitations(walkthrough_id: int, user_ids: list[int] | None = None) -> int:
    """One email per attendee (or per attendee of user_ids) with their .ics; returns how many
    the mail server took."""
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
    attendees = walkthrough.attendees.select_related("user").order_by("id")
    if user_ids is not None:
        attendees = attendees.filter(user_id__in=user_ids)
    for attendee in attendees:
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
        message = compose(
            f"{what} of {key}: {narrative.title}{moved}",
            render_to_string("portal/email/invitation.txt", context),
            render_to_string("portal/email/invitation.html", context),
            [person.email],
        )
        message.attach(
            f"{walkthrough.kind}-{key}.ics",
            invitation(walkthrough, person),
            "text/calendar; method=REQUEST; charset=utf-8",
        )
        sent += deliver(
            message,
            about=f"walkthrough:{walkthrough.pk}",
            purpose=MailPurpose.INVITATION,
            user=person,
        )
    return sent
