"""Background work of reviews: invitation and reminder emails, sent by `learnloop worker` after
the scheduling transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from learnloop.analysis.models import AnalysisAssignment
from learnloop.mail.models import MailPurpose
from learnloop.mail.outbox import compose, deliver
from learnloop.reviews.calendar import cancellation, invitation, review_link
from learnloop.reviews.models import Review


def _message(
    subject: str, template: str, to: str, context: dict[str, object]
) -> EmailMultiAlternatives:
    return compose(
        subject,
        render_to_string(f"reviews/email/{template}.txt", context),
        render_to_string(f"reviews/email/{template}.html", context),
        [to],
    )


@task()
def send_invitations(review_id: int, user_ids: list[int]) -> int:
    """One email per invitee with their .ics attached; returns how many were sent."""
    review = Review.objects.select_related("incident").filter(pk=review_id).first()
    if review is None:
        return 0
    invited = set(review.invitees.values_list("user_id", flat=True))
    sent = 0
    for person in User.objects.filter(pk__in=user_ids).order_by("id"):
        if person.pk not in invited or not person.email:
            continue
        context = {
            "review": review,
            "incident": review.incident,
            "person": person,
            "link": review_link(review),
        }
        moved = " (moved)" if review.sequence else ""
        message = _message(
            f"Post-incident review of {review.incident.key}{moved}",
            "invitation",
            person.email,
            context,
        )
        message.attach(
            f"review-{review.incident.key}.ics",
            invitation(review, person),
            "text/calendar; method=REQUEST; charset=utf-8",
        )
        sent += deliver(message, about=about(review), purpose=MailPurpose.INVITATION, user=person)
    return sent


@task()
def send_reminders(review_id: int, assignment_ids: list[int]) -> int:
    """Reminds analysts whose report is still open; a report submitted meanwhile is skipped."""
    review = Review.objects.select_related("incident").filter(pk=review_id).first()
    if review is None:
        return 0
    sent = 0
    open_ones = AnalysisAssignment.objects.filter(
        pk__in=assignment_ids, incident=review.incident
    ).select_related("analyst", "report")
    for assignment in open_ones:
        if assignment.is_submitted or not assignment.analyst.email:
            continue
        context = {
            "review": review,
            "incident": review.incident,
            "assignment": assignment,
            "person": assignment.analyst,
            "link": settings.BASE_URL + reverse("assignment", args=[assignment.pk]),
        }
        message = _message(
            f"Your analysis report for {review.incident.key} is still open",
            "reminder",
            assignment.analyst.email,
            context,
        )
        sent += deliver(
            message, about=about(review), purpose=MailPurpose.REMINDER, user=assignment.analyst
        )
    return sent


@task()
def send_cancellation(review_id: int, user_id: int) -> int:
    """Tells someone taken off the invitation list, with a CANCEL their calendar understands;
    nothing is sent if they were invited again meanwhile."""
    review = Review.objects.select_related("incident").filter(pk=review_id).first()
    person = User.objects.filter(pk=user_id).first()
    if review is None or person is None or not person.email:
        return 0
    if review.invitees.filter(user=person).exists():
        return 0
    context: dict[str, object] = {"review": review, "incident": review.incident, "person": person}
    message = _message(
        f"Post-incident review of {review.incident.key}: you are no longer invited",
        "cancellation",
        person.email,
        context,
    )
    message.attach(
        f"review-{review.incident.key}.ics",
        cancellation(review, person),
        "text/calendar; method=CANCEL; charset=utf-8",
    )
    return int(deliver(message, about=about(review), purpose=MailPurpose.CANCELLATION, user=person))


def about(review: Review) -> str:
    return f"review:{review.pk}"
