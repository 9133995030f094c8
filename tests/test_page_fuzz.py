"""Every form takes any input without a server error: each page that has a form is posted values
hypothesis draws (text of every kind, huge and negative numbers, times far in the past and
future, NUL characters) in every field its form names, by a person who may use it. Each answer
is a page (the form with its errors, or the next page), never a 500; nothing is kept (each post
is rolled back)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import World
from tests.rights_scene import build
from tests.test_rights_table import PAGES, page_url, routes

FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.IGNORECASE)
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "\x00",
            "x" * 5000,
            "9" * 40,
            "-1",
            "0",
            "1e308",
            "NaN",
            "0001-01-01T00:00",
            "9999-12-31T23:59",
            "0001-01-01",
            "2026-02-30",
            "1",
            "yes",
            "on",
        ]
    ),
)
SKIPPED = {"csrfmiddlewaretoken"}


def forms_of(scene: Any) -> dict[str, tuple[str, list[str]]]:
    """Each page with a form: its URL and the names of its fields (as the admin sees them)."""
    found: dict[str, tuple[str, list[str]]] = {}
    admin = scene.client("admin")
    for route in routes():
        if PAGES.get("/" + route) in ("by-token", "") or route.startswith(("login", "logout")):
            continue
        url = page_url(route, scene)
        page = admin.get(url)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        names = sorted(set(FIELD.findall(page.content.decode())) - SKIPPED)
        if names and "<form" in page.content.decode() and 'method="post"' in page.content.decode():
            found[route] = (url, names)
    return found


def test_every_form_answers_any_input_without_a_server_error(world: World):
    scene = build(world)
    forms = forms_of(scene)
    assert len(forms) >= 10, sorted(forms)
    admin = scene.client("admin")

    @settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the failing draw is printed
    )
    @given(data=st.data())
    def post_anything(data: Any) -> None:
        for route, (url, names) in forms.items():
            values = {name: data.draw(VALUES, label=f"{route} {name}") for name in names}
            with transaction.atomic():
                answer = admin.post(url, values)
                transaction.set_rollback(True)
            assert answer.status_code < 500, (route, values)

    post_anything()
