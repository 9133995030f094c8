"""Sends one email through the configured mail server and records the outcome; explains a
refusal in words a person can act on."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Max

from learnloop.mail.models import SentMail

SMTP_BACKEND = "learnloop.mail.backend.SmtpBackend"


@dataclass(frozen=True)
class Refusal:
    text: str
    retryable: bool
    code: int | None = None


def compose(subject: str, text: str, html: str, to: list[str]) -> EmailMultiAlternatives:
    """A message from learnloop's address, with the organisation's reply-to when it has one."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=[settings.REPLY_TO_EMAIL] if settings.REPLY_TO_EMAIL else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def send(messages: list[EmailMultiAlternatives]) -> Refusal | None:
    """Sends through the mail server of the settings; None when it accepted them all."""
    try:
        connection = get_connection(SMTP_BACKEND, fail_silently=False)
        connection.send_messages(messages)
    except (smtplib.SMTPException, OSError) as error:  # TLS errors are OSErrors too
        return explain(error)
    return None


def explain(error: BaseException) -> Refusal:
    where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(sorted(error.recipients))
        return Refusal(f"The mail server refused {refused}.", retryable=False, code=550)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return Refusal(
            f"The mail server at {where} refused learnloop's login ({error.smtp_code}): "
            "check LEARNLOOP_SMTP_USER and LEARNLOOP_SMTP_PASSWORD.",
            retryable=False,
            code=error.smtp_code,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        return Refusal(
            f"The mail server answered {error.smtp_code} {text}",
            retryable=error.smtp_code < 500,
            code=error.smtp_code,
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return Refusal(
            f"The mail server at {where} does not offer what the settings ask: {error}",
            retryable=False,
        )
    if isinstance(error, ConnectionRefusedError):
        return Refusal(
            f"Nothing answers at the mail server {where} (connection refused).", retryable=True
        )
    if isinstance(error, TimeoutError):
        return Refusal(f"The mail server at {where} did not answer in time.", retryable=True)
    return Refusal(
        f"Cannot send through the mail server at {where}: {type(error).__name__}: {error}",
        retryable=True,
    )


def deliver(
    message: EmailMultiAlternatives, *, about: str, purpose: str, user: User | None
) -> bool:
    """Sends one message to one person and records what the mail server said."""
    refusal = send([message])
    SentMail.objects.create(
        about=about,
        purpose=purpose,
        user=user,
        recipient=", ".join(message.to)[:254],
        subject=str(message.subject)[:300],
        sent=refusal is None,
        error=refusal.text[:2000] if refusal else "",
    )
    return refusal is None


def undelivered(about: str | list[str]) -> list[SentMail]:
    """Of each person's latest mail of each purpose about this (or these), those the server did
    not take."""
    abouts = [about] if isinstance(about, str) else about
    latest = (
        SentMail.objects.filter(about__in=abouts)
        .values("recipient", "purpose")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return list(
        SentMail.objects.filter(pk__in=list(latest), sent=False)
        .select_related("user")
        .order_by("recipient", "purpose")
    )
