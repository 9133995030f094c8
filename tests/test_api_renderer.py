"""The API's renderer writes with orjson what django-ninja's own encoder wrote: for values
Hypothesis picks (moments with and without microseconds, in and out of UTC, dates, times,
decimals, UUIDs, choices, numbers as keys, integers past 64 bits, lone surrogates), the JSON
read back is the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from ninja.responses import NinjaJSONEncoder

from learnloop.api.renderer import Renderer
from learnloop.incidents.models import Status

ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), ZoneInfo("Europe/London"), None]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.datetimes(timezones=ZONES)
    | st.dates()
    | st.times()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.uuids()
    | st.sampled_from(Status)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text() | st.integers(-(2**60), 2**60), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(deadline=None)  # what is written is checked, not how fast (the machine may be busy)
@given(VALUES)
def test_the_renderer_writes_what_django_ninja_s_encoder_wrote(value: object) -> None:
    written = Renderer().render(None, value, response_status=200)
    assert json.loads(written) == json.loads(json.dumps(value, cls=NinjaJSONEncoder))


def test_moments_keep_django_s_milliseconds_and_z() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert Renderer().render(None, [moment], response_status=200) == (
        b'["2026-03-01T12:00:00.123Z"]'
    )
