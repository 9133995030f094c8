"""The API's JSON, written by orjson instead of the standard library's encoder, which took a
quarter of a 25-incident list request. The JSON says what django-ninja's own encoder says:
moments as Django writes them (milliseconds, `Z`), decimals as strings, and every other type
orjson does not write itself by that encoder's rules. What orjson refuses (an integer past 64
bits, a lone surrogate in a string) is written by the standard library as before."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder

# Moments go to `written` (orjson would give microseconds); keys may be numbers, as json allows.
OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
UTC_OFFSET = timedelta(0)
_django = DjangoJSONEncoder().default
_ninja = NinjaJSONEncoder().default


def written(value: Any) -> Any:
    """What orjson does not write itself, as django-ninja's encoder writes it: UTC moments by
    utc_moment, other moments straight to Django's encoder (whose turn would come after four
    other checks), the rest by django-ninja's."""
    if type(value) is datetime and value.utcoffset() == UTC_OFFSET:
        return utc_moment(value)
    return _django(value) if isinstance(value, datetime) else _ninja(value)


def utc_moment(value: datetime) -> str:
    """A UTC moment (what the databases give) as Django's encoder writes it, without its checks:
    milliseconds cut, not rounded, and left out when there are no microseconds; `Z`."""
    spec = "milliseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=spec)[:-6] + "Z"  # its offset, +00:00, as Z


class Renderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        try:
            return orjson.dumps(data, default=written, option=OPTIONS)
        except orjson.JSONEncodeError:
            return json.dumps(data, cls=NinjaJSONEncoder).encode()
