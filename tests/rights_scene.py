"""One organisation with one of everything the rights table asks about: an incident under
analysis (an analyst's key event, a private and a shared interview note, a draft report, a
scheduled review, a narrative draft), a published narrative with a delivery and a walkthrough,
saved secrets, and a person in every role. Each private thing carries a canary word, so a test
can tell whether a page or an API answer shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from learnloop.accounts.models import ApiToken, Membership, Role
from learnloop.actions.models import ActionKind, ImprovementAction
from learnloop.actions.services import add_action
from learnloop.analysis.models import AnalysisAssignment, Interview, KeyEvent, LearningTheme
from learnloop.analysis.services import add_analyst, save_report
from learnloop.chat.models import ChatImport, TimelineCandidate
from learnloop.incidents.models import Incident, ResponseRole
from learnloop.incidents.services import record_incident
from learnloop.insights.search import reindex
from learnloop.intake.models import IntakeDelivery, IntakeSource
from learnloop.narratives import services as narratives
from learnloop.narratives.models import Walkthrough
from learnloop.publishing.models import ChannelKind, Delivery, PublishChannel
from learnloop.reviews.models import ContextNote, ContributingFactor, Learning, Review
from learnloop.trackers.models import TrackerConnection
from learnloop.webhooks.models import Subscription
from tests.conftest import World, make_person

PRIVATE_NOTE = "canaryprivatenote"
SHARED_NOTE = "canarysharednote"
KEY_EVENT = "canaryanalystevent"
FINDS_KEY_EVENT = "declines rose"  # a search for the key event that does not quote the canary
DRAFT_REPORT = "canarydraftreport"
NARRATIVE_DRAFT = "canarynarrativedraft"
SECRET = "canarysavedsecret"
CHAT_MESSAGE = "canarychatmessage"
CANARIES = [
    PRIVATE_NOTE,
    SHARED_NOTE,
    KEY_EVENT,
    DRAFT_REPORT,
    NARRATIVE_DRAFT,
    SECRET,
    CHAT_MESSAGE,
]

ROLES = [
    "admin",
    "problem_manager",
    "team_pm",
    "other_pm",
    "analyst",
    "other_analyst",
    "interviewee",
    "member",
    "outsider",
    "revoked_token",
    "anonymous",
]


@dataclass
class Scene:
    world: World
    incident: Incident  # under analysis: everything private is here
    published: Incident  # its narrative is published
    assignment: AnalysisAssignment
    private_interview: Interview
    shared_interview: Interview
    review: Review
    action: ImprovementAction
    channel: PublishChannel
    walkthrough: Walkthrough
    delivery: Delivery
    candidate: TimelineCandidate
    subscription: Subscription
    intake: IntakeSource
    intake_delivery: IntakeDelivery
    note: ContextNote
    factor: ContributingFactor
    learning: Learning
    theme: LearningTheme
    people: dict[str, User | None] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, role: str) -> Client:
        """A browser session for the role (none for the revoked token and anonymous)."""
        client = Client()
        user = self.people.get(role)
        if user is not None:
            client.force_login(user)
        return client

    def api_headers(self, role: str) -> dict[str, str]:
        token = self.tokens.get(role)
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def build(world: World) -> Scene:
    now = timezone.now()
    ivy = make_person(world.org, "ivy@acme.test", Role.RESPONDER, world.search, "Ivy Interviewee")
    incident = record_incident(
        world.org,
        world.payments_pm,
        title="Card declines at checkout",
        team=world.payments,
        service=world.checkout,
        severity=1,
        started_at=now - timedelta(days=3),
        responders=[(world.alice, ResponseRole.INCIDENT_COMMANDER)],
    )
    assignment = incident.assignments.filter(analyst=world.alice).first() or add_analyst(
        incident, world.alice
    )
    elsewhere = record_incident(
        world.org, world.search_pm, title="Search slow", team=world.search, severity=3
    )
    add_analyst(elsewhere, world.carol)
    private = Interview.objects.create(
        assignment=assignment, interviewee=ivy, held_at=now, notes=f"Ivy said {PRIVATE_NOTE}"
    )
    shared = Interview.objects.create(
        assignment=assignment,
        interviewee_name="A supplier",
        held_at=now,
        notes=f"The supplier said {SHARED_NOTE}",
        shared_with_review=True,
    )
    event = KeyEvent.objects.create(
        incident=incident,
        assignment=assignment,
        occurred_at=now - timedelta(days=3),
        description=f"Declines rose {KEY_EVENT}",
    )
    save_report(assignment, f"My draft {DRAFT_REPORT}", submit=False)
    review = Review.objects.create(
        incident=incident,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        facilitator=world.problem_manager,
        scheduled_by=world.payments_pm,
    )
    review.invitees.create(user=world.alice, kind="analyst")
    note = ContextNote.objects.create(review=review, key_event=event, text="Context")
    factor = ContributingFactor.objects.create(
        incident=incident, review=review, kind="technical", description="A cold cache"
    )
    learning = Learning.objects.create(incident=incident, review=review, text="Warm caches")
    action = add_action(
        incident, world.payments_pm, title="Warm the cache", kind=ActionKind.CODE_FIX
    )
    draft = narratives.narrative_for(incident)
    narratives.save_version(draft, f"Draft story {NARRATIVE_DRAFT}", world.alice, 0)
    channel = PublishChannel(
        organisation=world.org, team=world.payments, kind=ChannelKind.SLACK, name="Payments"
    )
    channel.secret = f"https://hooks.slack.com/services/T1/B2/{SECRET}"
    channel.save()
    connection = TrackerConnection(
        team=world.payments, kind="github", base_url="https://api.github.com", project="a/b"
    )
    connection.token, connection.webhook_secret = f"{SECRET}-token", f"{SECRET}-hook"
    connection.save()
    chat = ChatImport.objects.create(incident=incident, channel="inc")
    candidate = TimelineCandidate.objects.create(
        incident=incident,
        chat_import=chat,
        channel="inc",
        ts="1772697600.000100",
        posted_at=now,
        author="Bob Builder",
        text=f"Card declines rose {CHAT_MESSAGE}",
    )
    subscription = Subscription(organisation=world.org, url="https://hooks.acme.test/in")
    subscription.secret = f"{SECRET}-events"
    subscription.save()
    intake = IntakeSource(organisation=world.org, team=world.payments, kind="opsgenie", name="Og")
    intake.secret = f"{SECRET}-intake"
    intake.save()
    intake_delivery = IntakeDelivery.objects.create(source=intake, body="{}", verdict="invalid")
    published = record_incident(
        world.org, world.payments_pm, title="Gateway timeouts", team=world.payments, severity=2
    )
    story = narratives.narrative_for(published)
    narratives.save_version(story, "The published story.", world.payments_pm, 0)
    narratives.publish(narratives.change_status(story, "in_review"), world.payments_pm)
    walkthrough = Walkthrough.objects.create(
        narrative=story,
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=1),
        organiser=world.payments_pm,
    )
    theme = LearningTheme.objects.create(organisation=world.org, slug="caching", name="Caching")
    reindex(Incident.objects.all())  # tests run in a transaction: no commit indexes them
    people: dict[str, User | None] = {
        "admin": world.admin,
        "problem_manager": world.problem_manager,
        "team_pm": world.payments_pm,
        "other_pm": world.search_pm,
        "analyst": world.alice,
        "other_analyst": world.carol,
        "interviewee": ivy,
        "member": world.member,
        "outsider": world.outsider,
        "revoked_token": None,
        "anonymous": None,
    }
    tokens = {
        role: ApiToken.issue(user, "rights")[1] for role, user in people.items() if user is not None
    }
    revoked, raw = ApiToken.issue(world.admin, "revoked")
    revoked.revoke()
    tokens["revoked_token"] = raw
    return Scene(
        world=world,
        incident=incident,
        published=published,
        assignment=assignment,
        private_interview=private,
        shared_interview=shared,
        review=review,
        action=action,
        channel=channel,
        walkthrough=walkthrough,
        delivery=Delivery.objects.get(narrative=story),
        candidate=candidate,
        subscription=subscription,
        intake=intake,
        intake_delivery=intake_delivery,
        note=note,
        factor=factor,
        learning=learning,
        theme=theme,
        people=people,
        tokens=tokens,
    )


def calendar_token(scene: Scene) -> str:
    return str(Membership.objects.get(user=scene.world.alice).calendar_token)


def values(scene: Scene) -> dict[str, Any]:
    """Path parameters by name, for the incident under analysis."""
    return {
        "key": scene.incident.key,
        "slug": "payments",
        "team": "payments",
        "kind": "service",
        "org": "acme",
        "uid": scene.action.uid,
        "token": calendar_token(scene),
        "token_id": ApiToken.objects.filter(user=scene.world.admin, revoked_at=None).first().pk,  # type: ignore[union-attr]
        "user_id": scene.world.alice.pk,
        "note_id": scene.note.pk,
        "factor_id": scene.factor.pk,
        "learning_id": scene.learning.pk,
        "number": 1,
        "channel_id": scene.channel.pk,
        "source_id": scene.intake.pk,
        "subscription_id": scene.subscription.pk,
        "delivery_id": scene.intake_delivery.pk,
    }
