"""Sign-in resists guessing: accounts and addresses lock after repeated failures, admins see and
lift the lock; passwords follow Django's validators; every page carries a Content-Security-Policy
that allows no inline script."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import PASSWORD, World


def sign_in(email: str, password: str, address: str = "10.0.0.7") -> Any:
    return Client(REMOTE_ADDR=address).post("/login/", {"username": email, "password": password})


def signed_in(answer: Any) -> bool:
    return answer.status_code == 302 and answer["Location"] == "/"


def test_five_failures_lock_the_account_and_the_address_until_an_admin_lifts_it(
    world: World, settings: Any
):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert sign_in(world.alice.email, "not my password").status_code == 200
    assert sign_in(world.alice.email, "not my password").status_code == 429  # the fifth locks
    locked = sign_in(world.alice.email, PASSWORD)  # even the right password, now
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    # The account is locked from any address; the address is locked for any account.
    assert sign_in(world.alice.email, PASSWORD, address="10.9.9.9").status_code == 429
    assert sign_in(world.bob.email, PASSWORD).status_code == 429
    assert signed_in(sign_in(world.bob.email, PASSWORD, address="10.9.9.9"))

    admin = world.client_for(world.admin)
    page = admin.get("/settings/sign-in-locks/").content.decode()
    assert world.alice.email in page and "10.0.0.7" in page and "locked" in page
    assert (
        world.alice.email
        not in world.client_for(world.outsider).get("/settings/sign-in-locks/").content.decode()
    ), "another organisation's admin does not see our people's attempts"
    # (A sign-in of Alice's own would clear her count: a responder other than her is refused.)
    assert world.client_for(world.carol).get("/settings/sign-in-locks/").status_code == 403

    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get(username=world.alice.email)
    lifted = admin.post("/settings/sign-in-locks/", {"attempt": attempt.pk})
    assert lifted.status_code == 302
    assert signed_in(sign_in(world.alice.email, PASSWORD))
    assert signed_in(sign_in(world.bob.email, PASSWORD))


def test_a_success_clears_the_count(world: World):
    for _ in range(4):
        sign_in(world.alice.email, "wrong")
    assert signed_in(sign_in(world.alice.email, PASSWORD))
    for _ in range(4):
        sign_in(world.alice.email, "wrong")
    assert signed_in(sign_in(world.alice.email, PASSWORD))


def test_guessing_names_that_are_nobodys_account_locks_the_address(world: World):
    for number in range(5):
        sign_in(f"nobody{number}@acme.test", "guess")
    assert sign_in(world.alice.email, PASSWORD).status_code == 429
    page = world.client_for(world.admin).get("/settings/sign-in-locks/").content.decode()
    assert "nobody4@acme.test" in page


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-one", "too short"),
        ("password1234", "too common"),
        ("482915730264", "entirely numeric"),
        ("alice@acme.test!", "too similar"),
    ],
)
def test_passwords_follow_the_validators(world: World, password: str, why: str):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, world.alice)
    assert why in " ".join(refused.value.messages)
    answer = world.client_for(world.alice).post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert answer.status_code == 200 and why in answer.content.decode()


def test_every_page_forbids_inline_script(world: World):
    client = world.client_for(world.admin)
    for address in ("/", "/incidents/", "/narratives/", "/measures/", "/login/", "/api/v1/docs"):
        policy = client.get(address)["Content-Security-Policy"]
        directives = dict(
            (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
        )
        assert directives["script-src"] == ["'self'"], address
        assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == [
            "'none'"
        ]
