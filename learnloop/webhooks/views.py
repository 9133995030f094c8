"""The admins' pages: subscriptions to lifecycle events and what was sent to each."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.webhooks.models import EventType, Subscription
from learnloop.webhooks.setup import save_subscription


class SubscriptionForm(forms.Form):
    url = forms.CharField(max_length=500, label="Endpoint (https://…)")
    description = forms.CharField(max_length=200, required=False)
    types = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Events",
        help_text="None ticked: every event.",
    )
    active = forms.BooleanField(required=False, initial=True)
    rotate = forms.BooleanField(required=False, label="Give it a new secret")


def _save(
    request: HttpRequest, membership: Membership, form: SubscriptionForm, found: Any
) -> Subscription | None:
    if not form.is_valid():
        return None
    try:
        saved, secret = save_subscription(membership.organisation, found, **form.cleaned_data)
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return None
    if secret:
        messages.info(
            request,
            f"Secret for verifying signatures (shown this once): {secret}",
        )
    return saved


@member_required
def subscriptions(request: HttpRequest, membership: Membership) -> HttpResponse:
    forbid_unless(membership.is_admin)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST":
        saved = _save(request, membership, form, None)
        if saved is not None:
            return redirect("event_subscription", pk=saved.pk)
    found = Subscription.objects.filter(organisation_id=membership.organisation_id)
    return render(request, "webhooks/subscriptions.html", {"subscriptions": found, "form": form})


@member_required
def subscription(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    forbid_unless(membership.is_admin)
    found = get_object_or_404(Subscription, pk=pk, organisation_id=membership.organisation_id)
    initial = {
        "url": found.url,
        "description": found.description,
        "types": found.types,
        "active": found.active,
    }
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(request, membership, form, found) is not None:
        messages.info(request, "Subscription saved.")
        return redirect("event_subscription", pk=found.pk)
    deliveries = found.deliveries.select_related("event").prefetch_related("log")[:100]
    return render(
        request,
        "webhooks/subscription.html",
        {"subscription": found, "form": form, "deliveries": deliveries},
    )
