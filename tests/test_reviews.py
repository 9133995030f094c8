"""The review: scheduling and invitations, reminders, rights, and the workspace's steps."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import readable_interviews
from learnloop.actions.models import ActionKind, ActionStatus
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent
from learnloop.analysis.services import save_report
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.reviews import services
from learnloop.reviews.models import FactorKind, InviteeKind, Review
from learnloop.reviews.tasks import send_invitations, send_reminders
from tests.conftest import World, make_person, utc

STARTS = utc(2026, 12, 1, 14)
ENDS = utc(2026, 12, 1, 15, 30)


def severe_incident(world: World, title: str = "Checkout down") -> Incident:
    return record_incident(
        world.org,
        world.payments_pm,
        title=title,
        team=world.payments,
        severity=1,
        started_at=utc(2026, 11, 1, 9),
        responders=[(world.alice, ResponseRole.ON_CALL), (world.bob, ResponseRole.OPERATIONS)],
    )


def work_of(incident: Incident, world_user: Any) -> AnalysisAssignment:
    return incident.assignments.get(analyst=world_user)


def submit_all(incident: Incident) -> None:
    for assignment in incident.assignments.all():
        save_report(assignment, f"Report by {assignment.analyst.email}", submit=True)


def scheduled(world: World, incident: Incident | None = None, **extra: Any) -> Review:
    incident = incident or severe_incident(world)
    submit_all(incident)
    return services.schedule(incident, world.payments_pm, starts_at=STARTS, ends_at=ENDS, **extra)


class Inbox:
    """A real SMTP server on a free local port; what it receives, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox(settings: Any) -> Iterator[Inbox]:
    handler = Inbox()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield handler
    finally:
        controller.stop()


# Scheduling


def test_scheduling_invites_responders_analysts_and_stakeholders_once_each(world: World):
    review = scheduled(world, stakeholders=[world.search_pm], facilitator=world.problem_manager)
    kinds = {i.user.email: i.kind for i in review.invitees.select_related("user")}
    assert kinds == {
        "alice@acme.test": InviteeKind.ANALYST,
        "bob@acme.test": InviteeKind.ANALYST,
        "spm@acme.test": InviteeKind.STAKEHOLDER,
        "pm@acme.test": InviteeKind.STAKEHOLDER,
    }
    assert review.sequence == 0 and review.scheduled_by == world.payments_pm


def test_missing_reports_need_a_reason_which_is_kept_and_shown(world: World):
    incident = severe_incident(world)
    save_report(work_of(incident, world.alice), "Alice's report", submit=True)
    with pytest.raises(ValidationError) as refused:
        services.schedule(incident, world.payments_pm, starts_at=STARTS, ends_at=ENDS)
    assert "Bob" in refused.value.message_dict["missing_reports_reason"][0]
    review = services.schedule(
        incident,
        world.payments_pm,
        starts_at=STARTS,
        ends_at=ENDS,
        missing_reports_reason="Bob is on leave until January",
    )
    assert review.missing_reports_reason == "Bob is on leave until January"
    page = world.client_for(world.alice).get(f"/reviews/{review.pk}/").content.decode()
    assert "1 report missing" in page and "Bob is on leave until January" in page


def test_the_review_must_end_after_it_starts(world: World):
    incident = severe_incident(world)
    submit_all(incident)
    with pytest.raises(ValidationError) as refused:
        services.schedule(incident, None, starts_at=ENDS, ends_at=STARTS)
    assert "ends_at" in refused.value.message_dict


def test_stakeholders_come_from_the_organisation_only(world: World):
    incident = severe_incident(world)
    submit_all(incident)
    with pytest.raises(ValidationError) as refused:
        services.schedule(
            incident, None, starts_at=STARTS, ends_at=ENDS, stakeholders=[world.outsider]
        )
    assert "stakeholders" in refused.value.message_dict


def test_rescheduling_moves_the_same_review_and_bumps_its_sequence(world: World):
    review = scheduled(world)
    moved = services.schedule(
        review.incident,
        world.payments_pm,
        starts_at=STARTS + timedelta(days=1),
        ends_at=ENDS + timedelta(days=1),
    )
    assert moved.pk == review.pk and moved.sequence == 1
    assert Review.objects.filter(incident=review.incident).count() == 1


def test_invitations_are_emailed_with_an_ics_per_invitee(
    world: World, inbox: Inbox, django_capture_on_commit_callbacks: Any
):
    with django_capture_on_commit_callbacks(execute=True):
        review = scheduled(world, location="Room 4")
        assert inbox.messages == []  # queued with the scheduling, sent by the worker
    # What the worker would run: the queued task, with the arguments stored in the queue.
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="send_invitations")
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    assert len(inbox.messages) == 2
    to_alice = next(m for m in inbox.messages if m["To"] == "alice@acme.test")
    assert to_alice.get_body(("plain",)) is not None
    html = to_alice.get_body(("html",))
    assert html is not None and f"/reviews/{review.pk}/" in html.get_content()
    (ics,) = [p for p in to_alice.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = Calendar.from_ical(ics.get_content())
    assert cal["method"] == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"review-{review.uid}@learnloop"
    assert event["dtstart"].dt == STARTS and event["location"] == "Room 4"
    assert "alice@acme.test" in str(event["attendee"])


def test_someone_taken_off_the_list_gets_a_cancellation_for_their_calendar(
    world: World, inbox: Inbox
):
    review = scheduled(world)
    services.add_invitee(review, world.member)
    services.remove_invitee(review, world.member)
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="send_cancellation")
    assert queued.task.call(*queued.args_kwargs["args"]) == 1
    (message,) = inbox.messages
    assert message["To"] == "member@acme.test" and "no longer invited" in message["Subject"]
    (ics,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    cal = Calendar.from_ical(ics.get_content())
    assert cal["method"] == "CANCEL"
    (event,) = cal.walk("VEVENT")
    assert str(event["uid"]) == f"review-{review.uid}@learnloop"
    assert event["status"] == "CANCELLED"
    services.add_invitee(review, world.member)  # invited again before the worker ran
    assert queued.task.call(*queued.args_kwargs["args"]) == 0


def test_the_invitation_task_sends_to_invitees_only(world: World, inbox: Inbox):
    review = scheduled(world)
    assert send_invitations.call(review.pk, [world.alice.pk, world.carol.pk]) == 1
    assert [m["To"] for m in inbox.messages] == ["alice@acme.test"]


def test_the_ics_download_is_the_viewers_own_and_the_uid_is_stable(world: World):
    review = scheduled(world)
    first = world.client_for(world.alice).get(f"/reviews/{review.pk}/invitation.ics")
    assert first.status_code == 200
    services.schedule(review.incident, None, starts_at=STARTS, ends_at=ENDS + timedelta(hours=1))
    second = world.client_for(world.alice).get(f"/reviews/{review.pk}/invitation.ics")
    one, two = (Calendar.from_ical(r.content).walk("VEVENT")[0] for r in (first, second))
    assert one["uid"] == two["uid"] and (one["sequence"], two["sequence"]) == (0, 1)
    others = world.client_for(world.alice).get(
        f"/reviews/{review.pk}/invitation.ics?user={world.bob.pk}"
    )
    assert others.status_code == 403
    managed = world.client_for(world.payments_pm).get(
        f"/reviews/{review.pk}/invitation.ics?user={world.bob.pk}"
    )
    assert managed.status_code == 200


def test_the_organiser_downloads_the_invitation_without_being_invited(world: World):
    review = scheduled(world)  # scheduled by the payments product manager
    assert not review.invitees.filter(user=world.payments_pm).exists()
    answer = world.client_for(world.payments_pm).get(f"/reviews/{review.pk}/invitation.ics")
    assert answer.status_code == 200
    event = Calendar.from_ical(answer.content).walk("VEVENT")[0]
    assert event["uid"] == f"review-{review.uid}@learnloop"
    assert str(event["attendee"]) == f"mailto:{world.payments_pm.email}"
    outsider = world.client_for(world.carol).get(f"/reviews/{review.pk}/invitation.ics")
    assert outsider.status_code == 404


def test_reminders_go_to_analysts_with_open_reports_only(world: World, inbox: Inbox):
    incident = severe_incident(world)
    save_report(work_of(incident, world.alice), "Done", submit=True)
    review = services.schedule(
        incident, None, starts_at=STARTS, ends_at=ENDS, missing_reports_reason="Bob is away"
    )
    reminded = services.remind(review)
    assert [a.analyst for a in reminded] == [world.bob]
    assert send_reminders.call(review.pk, [a.pk for a in incident.assignments.all()]) == 1
    (message,) = inbox.messages
    assert message["To"] == "bob@acme.test" and "still open" in message["Subject"]


def test_the_schedule_page_shows_missing_reports_and_says_what_is_wrong(world: World):
    incident = severe_incident(world)
    client = world.client_for(world.payments_pm)
    page = client.get(f"/incidents/{incident.key}/review/schedule/")
    assert page.status_code == 200 and "missing" in page.content.decode()
    refused = client.post(
        f"/incidents/{incident.key}/review/schedule/",
        {"starts_at": "2026-12-01T14:00", "ends_at": "2026-12-01T15:00", "votes_per_attendee": 3},
    )
    assert refused.status_code == 200
    assert "say why the review goes ahead" in refused.content.decode()
    done = client.post(
        f"/incidents/{incident.key}/review/schedule/",
        {
            "starts_at": "2026-12-01T14:00",
            "ends_at": "2026-12-01T15:00",
            "votes_per_attendee": 3,
            "missing_reports_reason": "Going ahead while memories are fresh",
        },
    )
    review = Review.objects.get(incident=incident)
    assert done.status_code == 302 and done["Location"] == f"/reviews/{review.pk}/"
    detail = client.get(f"/incidents/{incident.key}/").content.decode()
    assert f"/reviews/{review.pk}/" in detail


def test_only_the_incidents_managers_schedule(world: World):
    incident = severe_incident(world)
    for who in (world.alice, world.search_pm, world.member):
        page = world.client_for(who).get(f"/incidents/{incident.key}/review/schedule/")
        assert page.status_code == 403
    assert world.client_for(world.outsider).get(
        f"/incidents/{incident.key}/review/schedule/"
    ).status_code in (403, 404)


# Who sees the workspace


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("alice", 200),  # analyst, invited
        ("payments_pm", 200),  # manages the incident
        ("problem_manager", 200),
        ("search_pm", 404),  # another team's manager, not invited
        ("member", 404),
        ("outsider", 404),  # another organisation: never
    ],
)
def test_who_sees_the_workspace(world: World, who: str, status: int):
    review = scheduled(world)
    client = world.client_for(getattr(world, who))
    assert client.get(f"/reviews/{review.pk}/").status_code == status
    assert client.get(f"/reviews/{review.pk}/learnings/").status_code == status


def test_an_added_stakeholder_sees_the_workspace_and_takes_part(world: World):
    review = scheduled(world)
    services.add_invitee(review, world.member)
    client = world.client_for(world.member)
    assert client.get(f"/reviews/{review.pk}/").status_code == 200
    assert client.post(f"/reviews/{review.pk}/learnings/add/", {"text": "Pairs"}).status_code == 302
    services.remove_invitee(review, world.member)
    assert client.get(f"/reviews/{review.pk}/").status_code == 404


def test_only_whoever_runs_the_review_adds_context_notes(world: World):
    review = scheduled(world)
    event = KeyEvent.objects.create(
        incident=review.incident, description="Deploy", occurred_at=utc(2026, 11, 1, 9)
    )
    refused = world.client_for(world.alice).post(
        f"/reviews/{review.pk}/notes/", {"text": "Freeze week", "key_event": event.pk}
    )
    assert refused.status_code == 403
    done = world.client_for(world.payments_pm).post(
        f"/reviews/{review.pk}/notes/",
        {"text": "It was the week of the sales freeze", "key_event": event.pk},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200
    text = done.content.decode()
    row = text[text.index(f'<tr id="event-{event.pk}"') :]
    row = row[: row.index("</tr>")]  # beside its event, with the way to take it back
    assert "It was the week of the sales freeze" in row and ">remove</button>" in row
    assert review.context_notes.get().key_event == event


# The steps


def test_a_poll_with_the_current_token_gets_nothing_and_a_change_gets_the_section(world: World):
    review = scheduled(world)
    client = world.client_for(world.alice)
    token = services.change_token(review)
    assert client.get(f"/reviews/{review.pk}/learnings/?since={token}").status_code == 204
    services.propose_learning(review, world.bob, "Runbooks drift from reality")
    changed = client.get(f"/reviews/{review.pk}/learnings/?since={token}")
    assert changed.status_code == 200
    assert "Runbooks drift from reality" in changed.content.decode()


def test_reports_are_shown_side_by_side_and_missing_ones_marked(world: World):
    incident = severe_incident(world)
    save_report(work_of(incident, world.alice), "Alice saw **the queue** grow", submit=True)
    save_report(work_of(incident, world.bob), "Bob's unfinished draft", submit=False)
    review = services.schedule(
        incident, None, starts_at=STARTS, ends_at=ENDS, missing_reports_reason="Time"
    )
    page = world.client_for(world.alice).get(f"/reviews/{review.pk}/reports/").content.decode()
    assert "<strong>the queue</strong>" in page
    assert "report missing" in page and "unfinished draft" not in page


def test_the_timeline_step_flags_disagreements_side_by_side(world: World):
    review = scheduled(world)
    incident = review.incident
    KeyEvent.objects.create(
        incident=incident,
        assignment=work_of(incident, world.alice),
        description="Rolled back the checkout deploy",
        occurred_at=utc(2026, 11, 1, 9, 10),
    )
    KeyEvent.objects.create(
        incident=incident,
        assignment=work_of(incident, world.bob),
        description="Rolled back the checkout deploy",
        occurred_at=utc(2026, 11, 1, 9, 40),
    )
    page = world.client_for(world.alice).get(f"/reviews/{review.pk}/understanding/")
    text = page.content.decode()
    assert "different times" in text
    assert "Alice Analyst and Bob Builder place this 30 minutes apart" in text


def test_perspectives_show_shared_interview_notes_and_never_private_ones(world: World):
    review = scheduled(world)
    alice_work = work_of(review.incident, world.alice)
    Interview.objects.create(
        assignment=alice_work,
        interviewee=world.carol,
        held_at=utc(2026, 11, 2),
        notes="Carol: the dashboards were **misleading**",
        shared_with_review=True,
    )
    Interview.objects.create(
        assignment=alice_work,
        interviewee=world.bob,
        held_at=utc(2026, 11, 2),
        notes="PRIVATE-bob-was-exhausted",
    )
    services.add_invitee(review, world.search_pm)  # a stakeholder from another team
    for who in (world.alice, world.bob, world.payments_pm, world.problem_manager, world.search_pm):
        page = world.client_for(who).get(f"/reviews/{review.pk}/").content.decode()
        assert "PRIVATE-bob-was-exhausted" not in page, who
        step = world.client_for(who).get(f"/reviews/{review.pk}/perspectives/").content.decode()
        assert "PRIVATE-bob-was-exhausted" not in step
        assert "<strong>misleading</strong>" in step
    services.remove_invitee(review, world.search_pm)
    membership = Membership.objects.get(user=world.search_pm)
    assert not readable_interviews(membership, Interview.objects.all()).exists()


def test_factors_take_evidence_of_this_incident_only(world: World):
    review = scheduled(world)
    other = severe_incident(world, "Search down")
    ours = KeyEvent.objects.create(incident=review.incident, description="Alert fired")
    theirs = KeyEvent.objects.create(incident=other, description="Unrelated")
    private = Interview.objects.create(
        assignment=work_of(review.incident, world.alice),
        interviewee_name="Dana",
        held_at=utc(2026, 11, 2),
    )
    with pytest.raises(ValidationError) as refused:
        services.add_factor(
            review, world.alice, kind=FactorKind.TECHNICAL, description="x", key_events=[theirs]
        )
    assert "key_events" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.add_factor(
            review, world.alice, kind=FactorKind.HUMAN, description="x", interviews=[private]
        )
    assert "interviews" in refused.value.message_dict
    factor = services.add_factor(
        review,
        world.alice,
        kind=FactorKind.TECHNICAL,
        category="Monitoring and alerting",
        description="The alert measured the wrong queue",
        key_events=[ours],
    )
    assert list(factor.key_events.all()) == [ours]
    services.change_factor(
        factor, review, kind=FactorKind.HUMAN, description="Alerts were tuned by nobody"
    )
    factor.refresh_from_db()
    assert factor.kind == FactorKind.HUMAN and not factor.key_events.exists()
    services.remove_factor(factor, review)
    assert not review.incident.contributing_factors.exists()


def test_the_factor_form_says_what_is_missing_in_place(world: World):
    review = scheduled(world)
    response = world.client_for(world.alice).post(
        f"/reviews/{review.pk}/factors/add/",
        {"kind": "technical", "description": ""},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Retarget"] == "#factor-form"
    assert "This field is required" in response.content.decode()


def test_votes_are_limited_per_attendee_and_can_be_taken_back(world: World):
    review = scheduled(world, votes_per_attendee=2)
    learnings = [services.propose_learning(review, world.alice, f"L{n}") for n in range(3)]
    services.vote(learnings[0], review, world.bob)
    services.vote(learnings[1], review, world.bob)
    with pytest.raises(ValidationError) as refused:
        services.vote(learnings[2], review, world.bob)
    assert "used all 2 of your votes" in refused.value.messages[0]
    with pytest.raises(ValidationError):
        services.vote(learnings[0], review, world.bob)
    services.unvote(learnings[0], review, world.bob)
    services.vote(learnings[2], review, world.bob)
    services.vote(learnings[2], review, world.alice)
    ranked = list(services.ranked_learnings(review))
    assert [(item.text, item.n_votes) for item in ranked] == [("L2", 2), ("L1", 1), ("L0", 0)]


def test_a_vote_over_the_limit_is_explained_in_the_step(world: World):
    review = scheduled(world, votes_per_attendee=1)
    first, second = (services.propose_learning(review, world.alice, t) for t in ("A", "B"))
    client = world.client_for(world.bob)
    client.post(f"/reviews/{review.pk}/learnings/{first.pk}/vote/", headers={"HX-Request": "true"})
    refused = client.post(
        f"/reviews/{review.pk}/learnings/{second.pk}/vote/", headers={"HX-Request": "true"}
    )
    assert "used all 1 of your votes" in refused.content.decode()
    assert second.votes.count() == 0


def test_an_action_is_drafted_from_a_learning_for_the_incidents_team(world: World):
    review = scheduled(world)
    learning = services.propose_learning(review, world.alice, "Alerts need owners")
    with pytest.raises(ValidationError) as refused:
        services.draft_action(learning, review, world.alice, title="x", kind="other_human")
    assert "kind" in refused.value.message_dict
    action = services.draft_action(
        learning, review, world.alice, title="Give every alert an owner", kind=ActionKind.PROCESS
    )
    assert action.learning == learning and action.owner_team == world.payments
    assert action.status == ActionStatus.IDEA
    page = world.client_for(world.alice).post(
        f"/reviews/{review.pk}/learnings/{learning.pk}/action/",
        {"title": "Alert ownership dashboard", "kind": "monitoring", "owner_team": world.search.pk},
    )
    assert page.status_code == 302
    assert learning.actions.get(title="Alert ownership dashboard").owner_team == world.search


def test_every_change_bumps_the_change_token(world: World):
    review = scheduled(world)
    before = services.change_token(review)
    services.propose_learning(review, world.alice, "x")
    review.refresh_from_db()
    assert services.change_token(review) != before


def test_the_narrative_step_posts_to_the_narrative_generator(world: World):
    review = scheduled(world)
    page = world.client_for(world.alice).get(f"/reviews/{review.pk}/narrative/").content.decode()
    assert f"/incidents/{review.incident.key}/narrative/generate/" in page


# Bounded queries


def _grow(world: World, review: Review, n: int) -> None:
    incident = review.incident
    for i in range(n):
        person = make_person(world.org, f"g{review.pk}-{i}@acme.test", "responder", world.payments)
        services.add_invitee(review, person)
        for who in (world.alice, world.bob):
            event = KeyEvent.objects.create(
                incident=incident,
                assignment=work_of(incident, who),
                description=f"Step {i} of the failover",
                occurred_at=utc(2026, 11, 1, 9, i),
                position=i,
            )
        services.add_context_note(review, world.payments_pm, f"note {i}", event)
        Interview.objects.create(
            assignment=work_of(incident, world.alice),
            interviewee_name=f"p{i}",
            held_at=utc(2026, 11, 2),
            notes="n",
            shared_with_review=True,
        )
        factor = services.add_factor(
            review, world.alice, kind=FactorKind.HUMAN, description=f"f{i}", key_events=[event]
        )
        assert factor.pk
        learning = services.propose_learning(review, world.alice, f"learning {i}")
        services.vote(learning, review, world.alice) if i < 3 else None
        services.draft_action(learning, review, world.alice, title=f"a{i}", kind="process")


def test_the_workspace_page_is_bounded(world: World):
    small, large = scheduled(world), scheduled(world, severe_incident(world, "Large"))
    _grow(world, small, 1)
    _grow(world, large, 10)
    client = world.client_for(world.payments_pm)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    assert count(f"/reviews/{large.pk}/") == count(f"/reviews/{small.pk}/")
    for step in ("understanding", "factors", "learnings", "perspectives"):
        assert count(f"/reviews/{large.pk}/{step}/") == count(f"/reviews/{small.pk}/{step}/")


def test_times_stay_in_utc(world: World):
    review = scheduled(world)
    assert review.starts_at.utcoffset() == timedelta(0)
    assert timezone.is_aware(review.ends_at)


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_sends_queued_reminders(world: World, inbox: Inbox):
    from django.core.management import call_command

    incident = severe_incident(world)
    review = services.schedule(
        incident, None, starts_at=STARTS, ends_at=ENDS, missing_reports_reason="Both away"
    )
    services.remind(review)  # outside a transaction: queued at once
    call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
    assert sorted(m["To"] for m in inbox.messages if "still open" in m["Subject"]) == [
        "alice@acme.test",
        "bob@acme.test",
    ]


def test_the_facilitator_runs_the_review_and_invitees_take_part(world: World):
    from learnloop.accounts.rights import (
        can_run_review,
        can_take_part_in_review,
        can_view_review,
        membership_of,
    )

    review = scheduled(world, facilitator=world.carol)
    rights = {
        who: (
            can_view_review(membership_of(person), review),
            can_take_part_in_review(membership_of(person), review),
            can_run_review(membership_of(person), review),
        )
        for who, person in {
            "facilitator": world.carol,
            "analyst": world.alice,
            "manager": world.payments_pm,
            "other team's manager": world.search_pm,
            "outsider": world.outsider,
        }.items()
    }
    assert rights == {
        "facilitator": (True, True, True),
        "analyst": (True, True, False),
        "manager": (True, True, True),
        "other team's manager": (False, False, False),
        "outsider": (False, False, False),
    }


def test_the_forms_choosing_key_events_offer_them_in_the_timelines_order(world: World):
    """By when and whose before what, in the merged timeline's order, whether the form is drawn
    first or sent back with its errors (the factor's edit page too); a form only checked never
    reads the timeline."""
    from learnloop.reviews.forms import ContextNoteForm, FactorForm

    review = scheduled(world)
    incident = review.incident
    told = [
        (work_of(incident, world.alice), utc(2026, 11, 1, 9, 40), "minute", "Rolled back"),
        (work_of(incident, world.bob), utc(2026, 11, 1, 9, 10), "hour", "Paged <the> on-call"),
        (None, None, "unknown", "Imported: a status page update"),
    ]
    events = [
        KeyEvent.objects.create(
            incident=incident, assignment=work, occurred_at=at, precision=precision,
            description=text, position=n,
        )
        for n, (work, at, precision, text) in enumerate(told)
    ]  # fmt: skip
    drawn = list(ContextNoteForm(incident=incident).fields["key_event"].choices)
    assert [label for _, label in drawn] == [
        "---------",
        "1 Nov 2026, about 09:00, Bob Builder: Paged <the> on-call",
        "1 Nov 2026, 09:40, Alice Analyst: Rolled back",
        "time unknown, Imported report: Imported: a status page update",
    ]
    refused = ContextNoteForm({"text": ""}, incident=incident)
    assert not refused.is_valid()
    assert list(refused.fields["key_event"].choices) == drawn
    factor = FactorForm(incident=incident, interviews=Interview.objects.none())
    assert list(factor.fields["key_events"].choices) == drawn[1:]
    with CaptureQueriesContext(connection) as checked:
        sent = ContextNoteForm({"text": "Why", "key_event": events[0].pk}, incident=incident)
        assert sent.is_valid() and sent.cleaned_data["key_event"] == events[0]
    assert len(checked.captured_queries) == 1  # the event chosen, not the timeline
    elsewhere = record_incident(world.org, None, title="Elsewhere")
    other = KeyEvent.objects.create(incident=elsewhere, description="Not this incident's")
    assert not ContextNoteForm({"text": "Why", "key_event": other.pk}, incident=incident).is_valid()
    page = world.client_for(world.payments_pm).get(f"/reviews/{review.pk}/").content.decode()
    assert "Paged &lt;the&gt; on-call" in page and "<the>" not in page


def test_the_forms_offering_every_key_event_come_when_their_section_opens(world: World):
    """The workspace does not carry them: htmx asks for each when its section is opened, a
    browser without scripts follows the link to it on a page of its own, and a form refused
    comes back open, in place, with its errors."""
    review = scheduled(world)
    KeyEvent.objects.create(incident=review.incident, description="Rolled back the deploy")
    client = world.client_for(world.payments_pm)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert 'name="key_events"' not in page and 'name="key_event"' not in page
    for step in ("notes", "factors"):
        opened = f"/reviews/{review.pk}/{step}/form/"
        assert f'hx-get="{opened}"' in page and f'<a href="{opened}">' in page
        fragment = client.get(opened, headers={"HX-Request": "true"}).content.decode()
        assert fragment.startswith("<form") and "hx-post" in fragment
        assert "Rolled back the deploy" in fragment
        alone = client.get(opened).content.decode()
        assert "<h1>Add " in alone and "Rolled back the deploy" in alone
        assert "hx-post" not in alone  # a plain form, back to the workspace once saved
    refused = client.post(f"/reviews/{review.pk}/factors/add/", {"kind": "technical"})
    text = refused.content.decode()
    assert "<details open>" in text and 'id="factor-form"' in text
    assert "This field is required" in text
