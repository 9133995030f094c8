"""A form that fails comes back with each error beside its field: the message in an element the
field names in aria-describedby, the field marked aria-invalid, what was typed kept."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from learnloop.incidents.services import record_incident
from tests.conftest import World, utc


class Elements(HTMLParser):
    """Every element with an id: its attributes and the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {name: value or "" for name, value in attrs}
        if "id" in given:
            self.by_id[given["id"]] = given
            self.text[given["id"]] = ""
            if tag not in ("input", "br", "img"):
                self._open.append(given["id"])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "textarea", "select", "div") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            self.text[element] += data


def assert_error_beside(html: str, field: str, said: str) -> None:
    found = Elements(html)
    assert field in found.by_id, f"no field {field}"
    attrs = found.by_id[field]
    assert attrs.get("aria-invalid") == "true", attrs
    assert f"{field}_error" in attrs.get("aria-describedby", "").split(), attrs
    assert said in found.text.get(f"{field}_error", ""), found.text.get(f"{field}_error")


@pytest.fixture
def incident(world: World):  # type: ignore[no-untyped-def]
    return record_incident(
        world.org, None, title="Checkout slow", started_at=utc(2026, 3, 1, 9), team=world.payments
    )


def test_a_token_without_a_name_is_refused_beside_the_name(world: World):
    response = world.client_for(world.alice).post("/account/tokens/", {"name": " "})
    assert response.status_code == 400
    assert_error_beside(response.content.decode(), "id_name", "Name the token")


def test_a_decision_without_a_reason_keeps_the_choice_and_says_why(world: World, incident):  # type: ignore[no-untyped-def]
    url = f"/incidents/{incident.key}/decide/"
    response = world.client_for(world.admin).post(url, {"of_consequence": "yes", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert_error_beside(html, "id_reason", "Give the reason")
    assert 'value="yes" ' in html and "checked" in html
    assert not incident.consequence_decisions.filter(by_policy=False).exists()


def test_a_responder_who_is_not_one_of_ours_is_refused_beside_the_person(world: World, incident):  # type: ignore[no-untyped-def]
    url = f"/incidents/{incident.key}/responders/"
    response = world.client_for(world.admin).post(
        url, {"user": world.outsider.pk, "response_role": "first_responder"}
    )
    assert response.status_code == 400
    assert_error_beside(response.content.decode(), "id_user", "Select a valid choice")
    assert not incident.responders.exists()


def test_an_incident_without_a_title_is_refused_beside_the_title(world: World):
    response = world.client_for(world.admin).post(
        "/incidents/new/", {"title": "", "started_at": "2026-03-01T09:00"}
    )
    assert_error_beside(response.content.decode(), "id_title", "required")
