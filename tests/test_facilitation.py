"""The review, facilitated: started, one step at a time with its planned minutes, finished as held
with who attended, and what it produced; everyone's page shows the room's step."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.reviews import facilitation
from learnloop.reviews import services as reviews
from learnloop.reviews.models import Review, ReviewInvitee
from tests.conftest import World, utc


def a_review(world: World) -> Review:
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Checkout down",
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.ON_CALL)],
    )
    return reviews.schedule(
        incident,
        world.payments_pm,
        starts_at=utc(2026, 12, 1, 14),
        ends_at=utc(2026, 12, 1, 15),
        missing_reports_reason="Testing the session",
    )


def test_the_plan_shares_the_session_s_minutes_among_six_steps(world: World):
    plan = facilitation.steps(a_review(world))
    assert [s.name for s in plan] == [
        "reports",
        "understanding",
        "perspectives",
        "factors",
        "learnings",
        "narrative",
    ]
    assert sum(s.minutes for s in plan) == 60 and plan[1].minutes == 15


def test_a_review_starts_moves_step_by_step_and_is_held_with_its_attendance(world: World):
    review = a_review(world)
    with pytest.raises(ValidationError, match="Start the review first"):
        facilitation.go_to(review, 2)
    facilitation.start(review)
    assert review.status == "in_progress" and review.current_step == 1
    assert facilitation.step_ends_at(review) is not None
    facilitation.go_to(review, 3)
    assert facilitation.current(review).name == "perspectives"  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="Tick who attended"):
        facilitation.finish(review, [])
    with pytest.raises(ValidationError, match="Only invitees"):
        facilitation.finish(review, [world.outsider.pk])
    facilitation.finish(review, [world.alice.pk])
    review.refresh_from_db()
    assert review.status == "held" and review.held_at is not None and review.current_step == 0
    attended = dict(
        ReviewInvitee.objects.filter(review=review).values_list("user__email", "attended")
    )
    assert attended[world.alice.email] is True and attended[world.bob.email] is False
    with pytest.raises(ValidationError, match="cannot start"):
        facilitation.start(review)


def test_the_pages_work_without_script(world: World):
    review = a_review(world)
    manager = world.client_for(world.payments_pm)
    page = manager.get(f"/reviews/{review.pk}/facilitate/").content.decode()
    assert "Start the review" in page
    manager.post(f"/reviews/{review.pk}/facilitate/move/", {"action": "start"})
    page = manager.get(f"/reviews/{review.pk}/facilitate/").content.decode()
    assert "Step 1 of 6: Reports" in page and "Planned: 5 minutes" in page
    manager.post(f"/reviews/{review.pk}/facilitate/move/", {"action": "step-2"})
    live = world.client_for(world.alice).get(f"/reviews/{review.pk}/live/").content.decode()
    assert "step 2 of 6: Shared understanding" in live
    everyone = world.client_for(world.alice).get(f"/reviews/{review.pk}/").content.decode()
    assert "The room is on" in everyone
    bad = manager.post(f"/reviews/{review.pk}/facilitate/move/", {"action": "step-9"}, follow=True)
    assert "There are 6 steps." in bad.content.decode()
    done = manager.post(
        f"/reviews/{review.pk}/facilitate/move/",
        {"action": "finish", "attended": [world.alice.pk, world.bob.pk]},
        follow=True,
    ).content.decode()
    assert "What the session produced" in done and "Alice Analyst" in done
    assert world.client_for(world.alice).post(
        f"/reviews/{review.pk}/facilitate/move/", {"action": "start"}
    ).status_code in (403, 404)


def test_the_outcome_lists_factors_voted_learnings_and_drafted_actions(world: World):
    review = a_review(world)
    facilitation.start(review)
    reviews.add_factor(
        review,
        world.payments_pm,
        kind="technical",
        category="Capacity",
        description="No headroom in the pool",
    )  # type: ignore[call-arg]
    first = reviews.propose_learning(review, world.alice, "Config is code")
    reviews.vote(first, review, world.alice)
    reviews.draft_action(
        first, review, world.payments_pm, title="Stage config changes", kind="process"
    )
    facilitation.finish(review, [world.alice.pk])
    found: dict[str, Any] = facilitation.outcome(review)
    assert [f.description for f in found["technical_factors"]] == ["No headroom in the pool"]
    assert found["voted_learnings"][0].text == "Config is code"
    assert [a.title for a in found["drafted_actions"]] == ["Stage config changes"]
