"""lib.statements: a queryset compiled once with Params, run with values given later, must read
exactly what the same queryset built with those values reads, on both databases. Hypothesis
picks the incident list's filters (search text with LIKE's own characters included) and runs
each through one statement per shape, so a statement compiled for one set of values is run
with others."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.accounts.models import Membership, Team
from learnloop.accounts.rights import incidents_for
from learnloop.api.incidents import LISTED
from learnloop.incidents.models import Status
from learnloop.incidents.queries import IncidentFilter, listing
from learnloop.incidents.services import record_incident
from learnloop.lib import statements
from tests.conftest import World, utc

TITLES = ["50% off", "under_score", "back\\slash", "Ärger im Checkout", "plain", "PLAIN 2"]
CHOICES = {
    "team": st.sampled_from(["payments", "search", "nobody"]),
    "service": st.sampled_from(["checkout", "nothing"]),
    "severity": st.sampled_from([1, 2, 4]),
    "status": st.sampled_from(Status.values),
    "of_consequence": st.sampled_from(["yes", "no", "undecided"]),
    "started_from": st.dates(date(2026, 2, 27), date(2026, 3, 8)),
    "started_to": st.dates(date(2026, 2, 27), date(2026, 3, 8)),
    # Storable text only: a NUL or lone surrogate is refused before any query (middleware.py).
    "q": st.sampled_from(["%", "_", "\\", "ä", "plain", "50%", "r_s", "x"])
    | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00")),
}


@st.composite
def filters(draw: st.DrawFn) -> IncidentFilter:
    """One to three filters chosen (more would leave almost every page empty)."""
    names = draw(st.sets(st.sampled_from(sorted(CHOICES)), min_size=1, max_size=3))
    return IncidentFilter(**{name: draw(CHOICES[name]) for name in names})


def _chosen(wanted: IncidentFilter, membership: Membership, named: bool):
    chosen = listing(wanted.apply(incidents_for(membership), membership.organisation_id, named))
    return chosen.values(*LISTED, team_slug=F("team__slug"))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    wanted=filters(),
    start=st.integers(0, 3),
    limit=st.integers(1, 5),
    zone=st.sampled_from(["UTC", "Asia/Kolkata", "America/Los_Angeles"]),
)
def test_a_statement_reads_what_its_queryset_reads(
    world: World, wanted: IncidentFilter, start: int, limit: int, zone: str
) -> None:
    membership = Membership.objects.get(user=world.member)
    if not incidents_for(membership).exists():
        for day, title in enumerate(TITLES * 2):
            record_incident(
                world.org,
                None,
                title=title,
                team=[world.payments, world.search, None][day % 3],
                service=world.checkout if day % 2 else None,
                severity=[1, 2, 4][day % 3],
                status=Status.values[day % len(Status.values)],
                started_at=utc(2026, 3, 1) + timedelta(days=day // 2, hours=day % 2 * 12),
            )
        incidents_for(membership).filter(title__startswith="P").update(of_consequence=False)
    with timezone.override(zone):  # the days chosen start and end in the viewer's time zone
        expected = list(_chosen(wanted, membership, False)[start : start + limit])
        key = ("test", membership.organisation_id, wanted.shape())
        build = lambda: _chosen(wanted, membership, True)  # noqa: E731
        statement = statements.prepared(key, build, paged=True)
        page = {"limit": limit, "offset": start}
        assert statement.rows({**wanted.values(), **page}) == expected


def test_statements_are_kept_per_key_and_the_oldest_dropped(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(statements, "KEPT", 2)
    built: list[str] = []

    def build(name: str):
        def queryset():
            built.append(name)
            return Membership.objects.filter(user__email=name).values("role")

        return queryset

    for name in ["a", "b", "a", "c", "a", "b"]:
        statements.prepared(("kept", name), build(name)).rows({})
    assert built == ["a", "b", "c", "b"]  # a stays (used again), b was dropped for c


def test_a_paged_statement_is_built_from_a_queryset_without_a_slice(world: World) -> None:
    for queryset in (
        Membership.objects.values("role")[:5],
        Membership.objects.select_for_update().values("role"),  # LIMIT comes before FOR UPDATE
    ):
        with pytest.raises(ValueError, match="no slice and no FOR UPDATE"):
            statements.compiled(queryset, paged=True)


def fields(instance: Any) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_a_statement_s_instances_are_what_the_orm_reads(world: World) -> None:
    """The creates' policy, listeners and team come from statements' instances: each field, a
    JSON one and a moment included, holds what the ORM reads, and nothing else is read."""
    from learnloop.api.incidents import _named
    from learnloop.incidents.models import ConsequencePolicy
    from learnloop.incidents.services import policy_for
    from learnloop.webhooks.models import Subscription
    from learnloop.webhooks.outbox import listeners

    policy = policy_for(world.org)
    policy.hours_by_severity = {"1": 12, "2": 8}
    policy.customer_facing = True
    policy.save()
    listening = Subscription.objects.create(
        organisation=world.org, url="https://hooks.example.test/a", types=["incident.recorded"]
    )
    Subscription.objects.create(organisation=world.org, url="https://x.test/", active=False)
    assert fields(policy_for(world.org)) == fields(ConsequencePolicy.objects.get(pk=policy.pk))
    assert [fields(s) for s in listeners(world.org.pk)] == [fields(listening)]
    assert fields(listening) == fields(Subscription.objects.get(pk=listening.pk))
    team = _named(Team, world.org.pk, world.payments.slug)
    assert team is not None and fields(team) == fields(world.payments)
    assert _named(Team, world.org.pk, "no-such-team") is None
    assert not policy_for(world.org)._state.adding  # an instance as from the database
