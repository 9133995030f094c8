"""Imports learnloop's own document. An incident whose content equals the document's is left
untouched (`unchanged`); otherwise its fields are set and its children rebuilt from the document,
keeping every uid, so links between records survive."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from learnloop.accounts.models import Membership, Organisation, Service, Team
from learnloop.actions.models import ActionChange, ImprovementAction, PlannedFeature
from learnloop.analysis.models import (
    AnalysisAssignment,
    AnalysisReport,
    Interview,
    KeyEvent,
    LearningTheme,
    ReportStatus,
    TimeEntry,
)
from learnloop.incidents.models import ConsequenceDecision, ConsequencePolicy, Incident, Responder
from learnloop.interchange import snapshot
from learnloop.interchange.narrative_part import clear_narrative, load_narrative
from learnloop.interchange.sync import assign
from learnloop.interchange.values import instant, load_datetime, load_fields
from learnloop.reviews.models import (
    ContextNote,
    ContributingFactor,
    Learning,
    LearningVote,
    Review,
    ReviewInvitee,
)


class Context:
    """The organisation being imported into, with its lookups by natural key."""

    def __init__(self, org: Organisation) -> None:
        self.org = org
        self.teams = {t.slug: t for t in org.teams.all()}
        self.services = {s.slug: s for s in org.services.all()}
        self.themes = {t.slug: t for t in org.themes.all()}
        self.people: dict[str, User] = {}

    def person(self, email: str | None) -> User | None:
        if not email:
            return None
        if email not in self.people:
            user = User.objects.filter(username=email).first()
            if user is None:
                user = User(username=email, email=email)
                user.set_unusable_password()
                user.save()
            self.people[email] = user
        return self.people[email]

    def required(self, email: str) -> User:
        user = self.person(email)
        assert user is not None  # the schema requires the email
        return user

    def theme_list(self, slugs: list[str]) -> list[LearningTheme]:
        return [self.themes[s] for s in slugs if s in self.themes]


def organisation(doc: dict[str, Any]) -> Context:
    part = doc["organisation"]
    org, _ = Organisation.objects.get_or_create(
        slug=part["slug"], defaults={"name": part["name"], "currency": part["currency"]}
    )
    if assign(org, {"name": part["name"], "currency": part["currency"]}):
        org.save()
    policy, _ = ConsequencePolicy.objects.get_or_create(organisation=org)
    if assign(policy, load_fields(ConsequencePolicy, part["consequence_policy"], snapshot.POLICY)):
        policy.save()
    for team in part["teams"]:
        found, _ = Team.objects.get_or_create(
            organisation=org, slug=team["slug"], defaults={"name": team["name"]}
        )
        if assign(found, {"name": team["name"]}):
            found.save()
    context = Context(org)
    for service in part["services"]:
        kept, _ = Service.objects.get_or_create(
            organisation=org, slug=service["slug"], defaults={"name": service["name"]}
        )
        if assign(kept, {"name": service["name"], "team": context.teams.get(service["team"])}):
            kept.save()
    for theme in part["themes"]:
        catalogued, _ = LearningTheme.objects.get_or_create(
            organisation=org, slug=theme["slug"], defaults={"name": theme["name"]}
        )
        if assign(catalogued, {"name": theme["name"], "description": theme["description"]}):
            catalogued.save()
    for person in part["people"]:
        user = context.person(person["email"])
        assert user is not None
        if assign(user, {"first_name": person["first_name"], "last_name": person["last_name"]}):
            user.save()
        membership, _ = Membership.objects.get_or_create(user=user, organisation=org)
        if assign(
            membership,
            {
                "role": person["role"],
                "time_zone": person["time_zone"],
                "team": context.teams.get(person["team"] or ""),
            },
        ):
            membership.save()
    for feature in part["planned_features"]:
        values = load_fields(PlannedFeature, feature, snapshot.FEATURE)
        values["team"] = context.teams[feature["team"]]
        feature_row = PlannedFeature.objects.filter(uid=values["uid"]).first()
        if feature_row is None:
            PlannedFeature.objects.create(**values)
        elif assign(feature_row, values):
            feature_row.save()
    return Context(org)


def import_incident(context: Context, data: dict[str, Any]) -> tuple[str, str]:
    key = data["key"]
    existing = snapshot.incidents_query(context.org).filter(key=key).first()
    if existing is not None and snapshot.incident_part(existing) == data:
        return "unchanged", key
    values = load_fields(Incident, data, snapshot.INCIDENT)
    values["team"] = context.teams.get(data["team"] or "")
    values["service"] = context.services.get(data["service"] or "")
    if existing is None:
        incident = Incident.objects.create(organisation=context.org, **values)
    else:
        incident = Incident.objects.get(pk=existing.pk)
        _clear(incident)
        assign(incident, values)
        incident.save()
    _children(context, incident, data)
    return ("created" if existing is None else "updated"), key


def _clear(incident: Incident) -> None:
    clear_narrative(incident)
    for related in (
        incident.responders,
        incident.consequence_decisions,
        incident.key_events,
        incident.assignments,
        incident.contributing_factors,
        incident.learnings,
        incident.improvement_actions,
        incident.reviews,
    ):
        related.all().delete()


def _children(context: Context, incident: Incident, data: dict[str, Any]) -> None:
    incident.themes.set(context.theme_list(data["themes"]))
    Responder.objects.bulk_create(
        Responder(
            incident=incident, user=context.required(r["email"]), response_role=r["response_role"]
        )
        for r in data["responders"]
    )
    ConsequenceDecision.objects.bulk_create(
        ConsequenceDecision(
            incident=incident,
            of_consequence=d["of_consequence"],
            by_policy=d["by_policy"],
            decided_by=context.person(d["decided_by"]),
            reason=d["reason"],
            created_at=instant(d["created_at"]),
        )
        for d in data["consequence_decisions"]
    )
    assignments = {}
    interviews = {}
    for part in data["assignments"]:
        work = AnalysisAssignment.objects.create(
            incident=incident,
            analyst=context.required(part["analyst"]),
            **load_fields(AnalysisAssignment, part, snapshot.ASSIGNMENT),
        )
        assignments[part["uid"]] = work
        for interview_part in part["interviews"]:
            interview = Interview.objects.create(
                assignment=work,
                interviewee=context.person(interview_part["interviewee"]),
                **load_fields(Interview, interview_part, snapshot.INTERVIEW),
            )
            interview.themes.set(context.theme_list(interview_part["themes"]))
            interviews[interview_part["uid"]] = interview
        TimeEntry.objects.bulk_create(
            TimeEntry(assignment=work, **load_fields(TimeEntry, t, snapshot.TIME_ENTRY))
            for t in part["time_entries"]
        )
        if part["report"] is not None:
            report = AnalysisReport.objects.create(
                assignment=work,
                body=part["report"]["body"],
                status=part["report"]["status"],
                submitted_at=load_datetime(part["report"]["submitted_at"]),
            )
            if report.status == ReportStatus.SUBMITTED:
                work.submitted_at = report.submitted_at or work.created_at
                work.save(update_fields=["submitted_at"])
    events = {}
    for event_part in data["key_events"]:
        event = KeyEvent.objects.create(
            incident=incident,
            assignment=assignments[event_part["assignment"]] if event_part["assignment"] else None,
            **load_fields(KeyEvent, event_part, snapshot.KEY_EVENT),
        )
        event.themes.set(context.theme_list(event_part["themes"]))
        events[event_part["uid"]] = event
    reviews = _reviews(context, incident, data["reviews"], events)
    for factor_part in data["contributing_factors"]:
        factor = ContributingFactor.objects.create(
            incident=incident,
            review=_review_of(reviews, factor_part["review"]),
            created_by=context.person(factor_part["created_by"]),
            **load_fields(ContributingFactor, factor_part, snapshot.FACTOR),
        )
        factor.key_events.set([events[u] for u in factor_part["key_events"]])
        factor.interviews.set([interviews[u] for u in factor_part["interviews"]])
    learnings = {}
    for learning_part in data["learnings"]:
        learning = Learning.objects.create(
            incident=incident,
            review=_review_of(reviews, learning_part["review"]),
            proposed_by=context.person(learning_part["proposed_by"]),
            **load_fields(Learning, learning_part, snapshot.LEARNING),
        )
        LearningVote.objects.bulk_create(
            LearningVote(
                learning=learning,
                voter=context.required(v["voter"]),
                created_at=instant(v["created_at"]),
            )
            for v in learning_part["votes"]
        )
        learnings[learning_part["uid"]] = learning
    for action_part in data["improvement_actions"]:
        action = ImprovementAction.objects.create(
            incident=incident,
            learning=learnings[action_part["learning"]] if action_part["learning"] else None,
            owner_team=context.teams.get(action_part["owner_team"] or ""),
            **load_fields(ImprovementAction, action_part, snapshot.ACTION),
        )
        action.themes.set(context.theme_list(action_part["themes"]))
        ActionChange.objects.bulk_create(
            ActionChange(
                action=action,
                from_status=c["from_status"],
                to_status=c["to_status"],
                note=c["note"],
                by=context.person(c["by"]),
                source=c["source"],
                created_at=instant(c["created_at"]),
            )
            for c in action_part["changes"]
        )
    load_narrative(context, incident, data["narrative"])


def _review_of(reviews: dict[str, Review], uid: str | None) -> Review | None:
    return reviews[uid] if uid else None


def _reviews(
    context: Context, incident: Incident, parts: list[dict[str, Any]], events: dict[str, KeyEvent]
) -> dict[str, Review]:
    reviews = {}
    for part in parts:
        review = Review.objects.create(
            incident=incident,
            facilitator=context.person(part["facilitator"]),
            scheduled_by=context.person(part["scheduled_by"]),
            **load_fields(Review, part, snapshot.REVIEW),
        )
        ReviewInvitee.objects.bulk_create(
            ReviewInvitee(
                review=review,
                user=context.required(i["email"]),
                kind=i["kind"],
                attended=i["attended"],
            )
            for i in part["invitees"]
        )
        ContextNote.objects.bulk_create(
            ContextNote(
                review=review,
                key_event=events[n["key_event"]] if n["key_event"] else None,
                author=context.person(n["author"]),
                **load_fields(ContextNote, n, snapshot.CONTEXT_NOTE),
            )
            for n in part["context_notes"]
        )
        reviews[part["uid"]] = review
    return reviews


def link_duplicates(documents: list[dict[str, Any]]) -> None:
    """Duplicate links may point across incidents: set them once every incident exists."""
    links = {
        a["uid"]: a["duplicate_of"]
        for d in documents
        for i in d["incidents"]
        for a in i["improvement_actions"]
        if a.get("duplicate_of")
    }
    for uid, original in links.items():
        target = ImprovementAction.objects.filter(uid=original).first()
        ImprovementAction.objects.filter(uid=uid).exclude(duplicate_of=target).update(
            duplicate_of=target
        )


def import_snapshot(doc: dict[str, Any]) -> list[tuple[str, str]]:
    context = organisation(doc)
    return [import_incident(context, incident) for incident in doc["incidents"]]
