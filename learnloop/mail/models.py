"""Every email learnloop tried to send to a person about a review or a walkthrough, and what the
mail server said, so that a refusal is shown where the sender looks, not only in a log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class MailPurpose(models.TextChoices):
    INVITATION = "invitation", "invitation"
    REMINDER = "reminder", "reminder"
    CANCELLATION = "cancellation", "cancellation"


class SentMail(models.Model):
    about = models.CharField(max_length=60, help_text='What it is about: "review:12", …')
    purpose = models.CharField(max_length=20, choices=MailPurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    recipient = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    sent = models.BooleanField(help_text="Accepted by the mail server")
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["about", "created_at"], name="mail_about")]

    def __str__(self) -> str:
        return f"{self.purpose} to {self.recipient}: {'sent' if self.sent else 'not sent'}"
