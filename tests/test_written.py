"""lib.written: the database writes a moment and an amount as the API's JSON writes them
(Django's encoder: a UTC moment with milliseconds cut when there is a fraction and `Z`; a decimal
with its field's places), for every moment of the span and every amount the field allows, and
NULL as null; the incident list, which reads its moments and loss so, says what reading each
incident says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.api.renderer import Renderer
from learnloop.incidents.models import Incident
from learnloop.incidents.services import record_incident
from learnloop.lib import written
from learnloop.lib.moments import EARLIEST, LATEST
from tests.conftest import World
from tests.test_api_incidents import bearer

ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-9, minutes=-30))])
FRACTIONS = st.sampled_from([0, 1, 500, 999, 1000, 123456, 999_999]) | st.integers(0, 999_999)
MOMENTS = st.builds(
    lambda moment, fraction, zone: moment.replace(microsecond=fraction).astimezone(zone),
    st.datetimes(
        EARLIEST.replace(tzinfo=None), LATEST.replace(tzinfo=None), timezones=st.just(UTC)
    ),
    FRACTIONS,
    ZONES,
)
# What the field takes: at most 14 digits, 2 of them places, none negative.
AMOUNTS = st.decimals(
    min_value=0, max_value=Decimal("999999999999.99"), places=2
) | st.sampled_from(
    [Decimal("0"), Decimal("0.10"), Decimal("1.01"), Decimal("7045"), Decimal("999999999999.99")]
)


def as_json(value: object) -> object:
    return json.loads(Renderer().render(None, value, response_status=200))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=MOMENTS | st.none(), amount=AMOUNTS | st.none())
def test_the_database_writes_each_value_as_the_json_does(
    world: World, moment: datetime | None, amount: Decimal | None
):
    incident, _ = Incident.objects.update_or_create(
        organisation=world.org,
        key="written",
        defaults={"title": "t", "resolved_at": moment, "estimated_loss": amount},
    )
    found = Incident.objects.filter(pk=incident.pk)
    texts = found.values(
        moment=written.column(Incident, "resolved_at", connection),
        amount=written.column(Incident, "estimated_loss", connection),
    ).get()
    read = found.get()  # the values as the ORM reads them: the moment in UTC
    assert texts == {"moment": as_json(read.resolved_at), "amount": as_json(read.estimated_loss)}
    assert isinstance(texts["moment"], str) == (moment is not None)


def test_the_column_itself_where_the_database_cannot_write_it(world: World, monkeypatch):
    assert isinstance(written.column(Incident, "started_at", connection), written.Moment)
    assert isinstance(written.column(Incident, "estimated_loss", connection), written.Amount)
    monkeypatch.setitem(connection.settings_dict, "TIME_ZONE", "Europe/Paris")
    assert not isinstance(written.column(Incident, "started_at", connection), written.Moment)


def test_the_list_says_what_reading_the_incident_says(world: World):
    fractions = [0, 250, 123_456, 999_999]
    for n, fraction in enumerate(fractions):
        start = datetime(2026, 3, 1 + n, 12, 0, 0, fraction, tzinfo=UTC)
        record_incident(
            world.org,
            None,
            title=f"I{n}",
            team=world.payments,
            started_at=start,
            detected_at=start + timedelta(minutes=3, microseconds=fraction),
            resolved_at=None if n % 2 else start + timedelta(hours=2),
            estimated_loss=None if n == 1 else Decimal(f"{n * 1234}.{n}5"),
        )
    api = bearer(world.member)
    listed = api.get("/api/v1/incidents").json()["items"]
    assert len(listed) == len(fractions)
    for item in listed:
        read = api.get(f"/api/v1/incidents/{item['key']}").json()
        assert item == read
