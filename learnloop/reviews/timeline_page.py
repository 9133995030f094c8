"""The merged timeline on a page of its own, to zoom into a window of time."""

from __future__ import annotations

from datetime import UTC

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from learnloop.accounts.decorators import member_required
from learnloop.accounts.models import Membership
from learnloop.reviews.drawing import Window, draw, inside, window_of
from learnloop.reviews.timeline import merged_timeline_for
from learnloop.reviews.timeline_rows import table_rows
from learnloop.reviews.views import review_or_404
from learnloop.reviews.workspace import chat_times

MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ZoomForm(forms.Form):
    since = forms.DateTimeField(required=False, label="From (UTC)", widget=MOMENT)
    until = forms.DateTimeField(required=False, label="To (UTC)", widget=MOMENT)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            self.add_error("until", "The window must end after it starts.")
        return data


@member_required
def review_timeline(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    review = review_or_404(membership, pk)
    timeline = merged_timeline_for(review.incident)
    chat = chat_times(review.incident)
    whole = window_of(timeline, chat)
    form = ZoomForm(request.GET or None, auto_id="zoom_%s")
    zoom = None
    if whole is not None and form.is_valid():
        since = form.cleaned_data.get("since")
        until = form.cleaned_data.get("until")
        if since or until:
            zoom = Window(
                (since or whole.start).astimezone(UTC), (until or whole.end).astimezone(UTC)
            )
    title = f"Timeline of {review.incident.key}"
    shown = [e for e in timeline.entries if zoom is None or e.window is None or inside(e, zoom)]
    return render(
        request,
        "reviews/timeline.html",
        {
            "review": review,
            "incident": review.incident,
            "form": form,
            "drawing": mark_safe(draw(timeline, chat, zoom, title)),
            "rows": table_rows(shown),
            "zoomed": zoom is not None,
        },
    )
