"""Scheduling the review, and its live workspace: six steps, each a section that polls for
changes (HTMX) and re-renders itself when someone else changed the review."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from learnloop.accounts.decorators import forbid_unless, member_required
from learnloop.accounts.models import Membership
from learnloop.accounts.rights import (
    can_run_review,
    can_schedule_review,
    can_take_part_in_review,
    can_view_review,
)
from learnloop.incidents.views import incident_or_404
from learnloop.reviews import calendar, facilitation, services, workspace
from learnloop.reviews.forms import (
    ContextNoteForm,
    DraftActionForm,
    FactorForm,
    InviteeForm,
    LearningForm,
    ScheduleReviewForm,
)
from learnloop.reviews.models import ContextNote, ContributingFactor, Learning, Review


def review_or_404(membership: Membership, pk: int) -> Review:
    found = (
        Review.objects.select_related("incident__team", "incident__organisation", "facilitator")
        .filter(pk=pk, incident__organisation_id=membership.organisation_id)
        .first()
    )
    if found is None or not can_view_review(membership, found):
        raise Http404("No such review.")
    return found


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@member_required
def review_schedule(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    incident = incident_or_404(membership, key)
    forbid_unless(can_schedule_review(membership, incident))
    review = services.current_review(incident)
    initial: dict[str, Any] = {}
    if review is not None:
        initial = {
            "starts_at": review.starts_at,
            "ends_at": review.ends_at,
            "location": review.location,
            "facilitator": review.facilitator_id,
            "votes_per_attendee": review.votes_per_attendee,
            "missing_reports_reason": review.missing_reports_reason,
        }
    form = ScheduleReviewForm(request.POST or None, initial=initial, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            review = services.schedule(
                incident,
                request.user,  # type: ignore[arg-type]
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                location=data["location"],
                facilitator=data["facilitator"],
                votes_per_attendee=data["votes_per_attendee"],
                stakeholders=data["stakeholders"],
                missing_reports_reason=data["missing_reports_reason"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.info(request, "Review scheduled; invitations are on their way.")
            return redirect("review_detail", pk=review.pk)
    return render(
        request,
        "reviews/schedule.html",
        {
            "form": form,
            "incident": incident,
            "review": review,
            "reports": services.report_states(incident),
        },
    )


def _add_errors(form: Form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@member_required
def review_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    return _page(request, membership, review_or_404(membership, pk))


def _page(
    request: HttpRequest, membership: Membership, review: Review, **forms: Form
) -> HttpResponse:
    context = workspace.everything(review, membership)
    context.update(_forms(review, membership, forms))
    context.update(facilitation.live(review))
    context["outcome"] = facilitation.outcome(review) if review.status == "held" else None
    return render(request, "reviews/detail.html", context)


def _forms(review: Review, membership: Membership, bound: dict[str, Form]) -> dict[str, Any]:
    """The workspace's forms. The two that offer every key event come when their section is
    opened (review_note_form, review_factor_form), unless sent back with their errors."""
    return {
        "note_form": bound.get("note_form"),
        "factor_form": bound.get("factor_form"),
        "learning_form": bound.get("learning_form") or LearningForm(),
        "invitee_form": bound.get("invitee_form") or InviteeForm(membership=membership),
        "narrative_url": workspace.narrative_url(review),
        "categories": services.FACTOR_CATEGORIES,
    }


def _factor_form(review: Review, data: Any = None, **kwargs: Any) -> FactorForm:
    return FactorForm(
        data,
        incident=review.incident,
        interviews=services.shared_interviews(review.incident).select_related("interviewee"),
        **kwargs,
    )


def _step(name: str) -> Callable[..., HttpResponse]:
    @member_required
    def view(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
        review = review_or_404(membership, pk)
        # The poll: nothing changed since the caller's copy, so nothing to send (no swap).
        if request.GET.get("since") == services.change_token(review):
            return HttpResponse(status=204)
        return _render_step(request, membership, review, name)

    view.__name__ = f"review_{name}"
    return view


def _render_step(
    request: HttpRequest, membership: Membership, review: Review, name: str, **extra: Any
) -> HttpResponse:
    context = workspace.step(name, review, membership)
    context.update(extra)
    return render(request, f"reviews/steps/{name}.html", context)


review_reports = _step("reports")
review_understanding = _step("understanding")
review_perspectives = _step("perspectives")
review_factors = _step("factors")
review_learnings = _step("learnings")
review_narrative = _step("narrative")


def _done(
    request: HttpRequest, membership: Membership, review: Review, name: str, message: str = ""
) -> HttpResponse:
    """After a change: the step's section for HTMX, else back to the page at that step."""
    if _is_htmx(request):
        return _render_step(request, membership, review, name)
    if message:
        messages.info(request, message)
    return redirect(reverse("review_detail", args=[review.pk]) + f"#step-{name}")


def _form_errors(
    request: HttpRequest, membership: Membership, review: Review, name: str, form: Form
) -> HttpResponse:
    """A form with its errors where they belong: in place for HTMX, else the whole page."""
    if _is_htmx(request):
        response = render(
            request, f"reviews/forms/{name}.html", {"review": review, name: form, **_forms(
                review, membership, {name: form})}
        )  # fmt: skip
        response["HX-Retarget"] = f"#{name.replace('_', '-')}"
        response["HX-Reswap"] = "outerHTML"
        return response
    return _page(request, membership, review, **{name: form})


def _refused(
    request: HttpRequest, membership: Membership, review: Review, name: str, error: ValidationError
) -> HttpResponse:
    """A refused click (a vote over the limit): said in the step itself."""
    text = " ".join(m for problems in error.message_dict.values() for m in problems)
    if _is_htmx(request):
        return _render_step(request, membership, review, name, refusal=text)
    messages.error(request, text)
    return redirect(reverse("review_detail", args=[review.pk]) + f"#step-{name}")


def _participant(membership: Membership, pk: int) -> Review:
    review = review_or_404(membership, pk)
    forbid_unless(can_take_part_in_review(membership, review))
    return review


def _runner(membership: Membership, pk: int) -> Review:
    review = review_or_404(membership, pk)
    forbid_unless(can_run_review(membership, review))
    return review


@member_required
def review_ics(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The viewer's own invitation (or, for whoever runs the review, anyone's: ?user=)."""
    review = review_or_404(membership, pk)
    asked = request.GET.get("user", "")
    if asked and not asked.isdigit():
        raise Http404("No such invitee.")
    user_id = int(asked) if asked else membership.user_id
    if user_id != membership.user_id:
        forbid_unless(can_run_review(membership, review))
    invitee = review.invitees.select_related("user").filter(user_id=user_id).first()
    if invitee is not None:
        person = invitee.user
    elif user_id == membership.user_id and can_run_review(membership, review):
        person = membership.user  # the organiser's own copy, invited or not
    else:
        raise Http404("No such invitee.")
    response = HttpResponse(
        calendar.invitation(review, person), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="review-{review.incident.key}.ics"'
    return response


@require_POST
@member_required
def review_remind(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _runner(membership, pk)
    reminded = services.remind(review)
    if reminded:
        names = ", ".join(a.analyst.get_full_name() or a.analyst.email for a in reminded)
        messages.info(request, f"Reminder sent to {names}.")
    else:
        messages.info(request, "Every report is submitted; nobody to remind.")
    return redirect("review_detail", pk=review.pk)


@require_POST
@member_required
def review_send_again(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _runner(membership, pk)
    again = services.send_again(review)
    if again:
        messages.info(request, f"Sending again to {', '.join(again)}.")
    else:
        messages.info(request, "Every email about this review was delivered.")
    return redirect("review_detail", pk=review.pk)


@require_POST
@member_required
def review_invitee_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _runner(membership, pk)
    form = InviteeForm(request.POST, membership=membership)
    if form.is_valid():
        try:
            services.add_invitee(review, form.cleaned_data["user"], form.cleaned_data["kind"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.info(request, "Invited; the invitation is on its way.")
            return redirect("review_detail", pk=review.pk)
    return _page(request, membership, review, invitee_form=form)


@require_POST
@member_required
def review_invitee_remove(
    request: HttpRequest, membership: Membership, pk: int, user_id: int
) -> HttpResponse:
    review = _runner(membership, pk)
    invitee = get_object_or_404(review.invitees.select_related("user"), user_id=user_id)
    services.remove_invitee(review, invitee.user)
    messages.info(request, "No longer invited.")
    return redirect("review_detail", pk=review.pk)


@require_POST
@member_required
def review_note_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _runner(membership, pk)
    form = ContextNoteForm(request.POST, incident=review.incident)
    if not form.is_valid():
        return _form_errors(request, membership, review, "note_form", form)
    services.add_context_note(
        review,
        request.user,  # type: ignore[arg-type]
        form.cleaned_data["text"],
        form.cleaned_data["key_event"],
    )
    return _done(request, membership, review, "understanding", "Context note added.")


@require_POST
@member_required
def review_note_remove(
    request: HttpRequest, membership: Membership, pk: int, note_id: int
) -> HttpResponse:
    review = _runner(membership, pk)
    services.remove_context_note(get_object_or_404(ContextNote, pk=note_id, review=review))
    return _done(request, membership, review, "understanding", "Context note removed.")


@require_POST
@member_required
def review_factor_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _participant(membership, pk)
    form = _factor_form(review, request.POST)
    if form.is_valid():
        try:
            services.add_factor(review, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return _done(request, membership, review, "factors", "Contributing factor added.")
    return _form_errors(request, membership, review, "factor_form", form)


@member_required
def review_note_form(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The context note's form, asked for when its section of the workspace is opened: it
    offers every key event, and a review of 2,000 of them spent a quarter of its page on its
    two such forms."""
    review = _runner(membership, pk)
    form = ContextNoteForm(incident=review.incident)
    return _opened(request, review, "note_form", form, "Add organisational context")


@member_required
def review_factor_form(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    """The contributing factor's form, asked for as the note's is."""
    review = _participant(membership, pk)
    form = _factor_form(review)
    return _opened(request, review, "factor_form", form, "Add a contributing factor")


def _opened(
    request: HttpRequest, review: Review, name: str, form: Form, heading: str
) -> HttpResponse:
    """The form alone for htmx, to put in its section; else on a page of its own (a browser
    without scripts follows the section's link), posting as a plain form."""
    context = {"review": review, name: form, "categories": services.FACTOR_CATEGORIES}
    if _is_htmx(request):
        return render(request, f"reviews/forms/{name}.html", context)
    shown = {"form_template": f"reviews/forms/{name}.html", "heading": heading, "alone": True}
    return render(request, "reviews/form_page.html", {**context, **shown})


def _factor(review: Review, factor_id: int) -> ContributingFactor:
    return get_object_or_404(ContributingFactor, pk=factor_id, incident_id=review.incident_id)


@member_required
def review_factor_edit(
    request: HttpRequest, membership: Membership, pk: int, factor_id: int
) -> HttpResponse:
    review = _participant(membership, pk)
    factor = _factor(review, factor_id)
    initial = {
        "kind": factor.kind,
        "category": factor.category,
        "description": factor.description,
        "key_events": list(factor.key_events.values_list("pk", flat=True)),
        "interviews": list(factor.interviews.values_list("pk", flat=True)),
    }
    form = _factor_form(review, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_factor(factor, review, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.info(request, "Contributing factor changed.")
            return redirect(reverse("review_detail", args=[review.pk]) + "#step-factors")
    return render(
        request,
        "reviews/factor_edit.html",
        {
            "review": review,
            "factor": factor,
            "form": form,
            "categories": services.FACTOR_CATEGORIES,
        },
    )


@require_POST
@member_required
def review_factor_remove(
    request: HttpRequest, membership: Membership, pk: int, factor_id: int
) -> HttpResponse:
    review = _participant(membership, pk)
    services.remove_factor(_factor(review, factor_id), review)
    return _done(request, membership, review, "factors", "Contributing factor removed.")


@require_POST
@member_required
def review_learning_add(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = _participant(membership, pk)
    form = LearningForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, membership, review, "learning_form", form)
    services.propose_learning(review, request.user, form.cleaned_data["text"])  # type: ignore[arg-type]
    return _done(request, membership, review, "learnings", "Learning proposed.")


def _learning(review: Review, learning_id: int) -> Learning:
    return get_object_or_404(Learning, pk=learning_id, review=review)


@require_POST
@member_required
def review_vote(
    request: HttpRequest, membership: Membership, pk: int, learning_id: int
) -> HttpResponse:
    review = _participant(membership, pk)
    try:
        services.vote(_learning(review, learning_id), review, request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        return _refused(request, membership, review, "learnings", error)
    return _done(request, membership, review, "learnings", "Vote counted.")


@require_POST
@member_required
def review_unvote(
    request: HttpRequest, membership: Membership, pk: int, learning_id: int
) -> HttpResponse:
    review = _participant(membership, pk)
    try:
        services.unvote(_learning(review, learning_id), review, request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        return _refused(request, membership, review, "learnings", error)
    return _done(request, membership, review, "learnings", "Vote taken back.")


@member_required
def review_draft_action(
    request: HttpRequest, membership: Membership, pk: int, learning_id: int
) -> HttpResponse:
    review = _participant(membership, pk)
    learning = _learning(review, learning_id)
    form = DraftActionForm(
        request.POST or None, initial={"title": learning.text[:500]}, membership=membership
    )
    if request.method == "POST" and form.is_valid():
        try:
            action = services.draft_action(
                learning,
                review,
                request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.info(request, f"Improvement action “{action.title}” drafted as an idea.")
            return redirect(reverse("review_detail", args=[review.pk]) + "#step-learnings")
    return render(
        request,
        "reviews/draft_action.html",
        {"review": review, "learning": learning, "form": form},
    )
