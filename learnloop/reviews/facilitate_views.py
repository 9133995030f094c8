"""The facilitator's mode: one step at a time, its timer, start and finish; and the live status
everyone's review page shows (polled, or read on reload without script)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import can_run_review
from learnloop.reviews import facilitation, workspace
from learnloop.reviews.views import review_or_404


@member_required
def facilitate(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = review_or_404(membership, pk)
    forbid_unless(can_run_review(membership, review))
    context = {"review": review, "membership": membership, **facilitation.live(review)}
    step = facilitation.current(review)
    if step is not None:
        context.update(workspace.step(step.name, review, membership))
        context["step_template"] = f"reviews/steps/{step.name}.html"
        context["step_url"] = reverse(f"review_{step.name}", args=[review.pk])
    if review.status == "held":
        context.update(facilitation.outcome(review))
    context["invitees"] = review.invitees.select_related("user").order_by("kind", "id")
    return render(request, "reviews/facilitate.html", context)


@require_POST
@member_required
def facilitate_move(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = review_or_404(membership, pk)
    forbid_unless(can_run_review(membership, review))
    action = request.POST.get("action", "")
    try:
        if action == "start":
            facilitation.start(review)
        elif action == "finish":
            attended = [int(v) for v in request.POST.getlist("attended") if v.isdigit()]
            facilitation.finish(review, attended)
            messages.info(request, "The review is held. Its outcome is below.")
        elif action.startswith("step-") and action[5:].isdigit():
            facilitation.go_to(review, int(action[5:]))
        else:
            messages.error(request, "Choose start, a step, or finish.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("review_facilitate", pk=review.pk)


@member_required
def live_status(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The banner on everyone's review page: which step the room is on."""
    review = review_or_404(membership, pk)
    return render(
        request, "reviews/live_status.html", {"review": review, **facilitation.live(review)}
    )
