"""Single sign-on against a real, independent OpenID provider on loopback: panva's certified
oidc-provider (Node.js, tests/oidc_provider), with its own login and consent pages, requiring
PKCE, signing with a key this test makes. Chromium signs in through the provider's pages; tokens
with a wrong audience, a bad signature, another issuer, a replayed nonce or an expiry in the past
are refused; an unverified email and groups that map to no role are turned away with a sentence;
logging out ends the session at the provider too; passwords can be switched off but for the
break-glass accounts."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation
from django.test import Client

from learnloop.accounts import sso
from learnloop.accounts.models import Membership
from learnloop.accounts.provider import ProviderBackend
from tests.conftest import PASSWORD, World
from tests.test_mail import free_port

HERE = Path(__file__).resolve().parent / "oidc_provider"
CLIENT_ID, CLIENT_SECRET = "learnloop", "a-client-secret-for-tests"
KID = "test-key-1"
DISCOVERY = ".well-known/openid-configuration"
ACCOUNTS = {
    "sam": {"email": "sam@acme.test", "email_verified": True, "name": "Sam Sso", "groups": ["sre"]},
    "alice": {
        "email": "Alice@Acme.test",
        "email_verified": True,
        "name": "Alice Analyst",
        "groups": ["learnloop-admins", "sre"],
    },
    "una": {"email": "una@acme.test", "email_verified": False, "groups": ["sre"]},
    "nog": {"email": "nog@acme.test", "email_verified": True, "groups": ["marketing"]},
}


class Provider:
    def __init__(self, issuer: str, key: rsa.RSAPrivateKey) -> None:
        self.issuer = issuer
        self.key = key

    def token(self, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "aud": CLIENT_ID, "sub": "sam", "iat": now, "exp": now + 300}
        body.update(claims)
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": KID})


@pytest.fixture
def provider(tmp_path: Path, live_server: Any) -> Iterator[Provider]:
    if shutil.which("node") is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test OpenID provider is not installed: run `make test` (npm ci)")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key))
    private.pop("key_ops", None)  # PyJWT marks it sign-only; the provider verifies with it too
    private.update(kid=KID, alg="RS256", use="sig")
    files = {
        "JWKS_FILE": {"keys": [private]},
        "ACCOUNTS_FILE": ACCOUNTS,
        "CLIENT_FILE": {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [f"{live_server.url}/oidc/callback/"],
            "post_logout_redirect_uris": [f"{live_server.url}/login/"],
        },
    }
    env = {**os.environ, "PORT": str(port := free_port()), "NODE_ENV": "development"}
    if os.environ.get("SSO_DEBUG"):
        env["DEBUG"] = "oidc-provider:*"
    for name, content in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(content))
        env[name] = str(tmp_path / f"{name}.json")
    process = subprocess.Popen(
        ["node", str(HERE / "provider.js")],
        env=env,
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"{issuer}/.well-known/openid-configuration", timeout=2
                ):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            process.terminate()
            pytest.fail(f"the OpenID provider did not start: {process.communicate()[0]}")
        yield Provider(issuer, key)
    finally:
        process.terminate()
        said = process.communicate(timeout=10)[0]
        if os.environ.get("SSO_DEBUG"):
            print(said)


@pytest.fixture
def signed_on(settings: Any, provider: Provider) -> Provider:
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_NAME = "Acme SSO"
    settings.OIDC_RP_CLIENT_ID, settings.OIDC_RP_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_RP_SCOPES = "openid email profile groups"
    settings.OIDC_ROLES = {"learnloop-admins": "admin", "sre": "responder"}
    settings.OIDC_DEFAULT_ROLE = ""  # no group that maps, no entry
    settings.OIDC_ORGANISATION = "acme"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(provider.issuer)
    settings.CONTENT_SECURITY_POLICY = policy
    sso._discovered.clear()
    return provider


def sign_in_at_the_provider(page: Any, login: str) -> None:
    page.goto("/login/")
    page.click("#sso-sign-in")
    page.wait_for_selector("input[name=login]")  # the provider's own login page
    assert page.url.startswith(sso.discovery()["issuer"])
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "whatever the provider accepts")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")
    if "Continue" in page.inner_text("body"):  # the provider asks to consent once
        page.click("button[type=submit]")


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.browser
def test_someone_new_signs_in_through_the_providers_pages_and_out_again(
    page: Any, world: World, signed_on: Provider
):
    sign_in_at_the_provider(page, "sam")
    page.wait_for_url("**/")
    membership = Membership.objects.select_related("user").get(user__email="sam@acme.test")
    assert (membership.role, membership.organisation, membership.user.get_full_name()) == (
        "responder",
        world.org,
        "Sam Sso",
    )
    assert not membership.user.has_usable_password()
    assert "sam@acme.test" in page.inner_text("header") or "Sam" in page.inner_text("header")

    page.click("text=Log out")
    page.wait_for_selector("button[name=logout]")  # the provider asks to confirm
    page.click("button[name=logout]")
    page.wait_for_url("**/login/")
    page.goto("/")
    assert "/login/" in page.url
    page.click("#sso-sign-in")
    page.wait_for_selector("input[name=login]")  # signed out at the provider too


@pytest.mark.browser
def test_an_existing_person_is_matched_by_verified_email_and_the_role_follows_the_groups(
    page: Any, world: World, signed_on: Provider
):
    assert Membership.objects.get(user=world.alice).role == "responder"
    sign_in_at_the_provider(page, "alice")
    page.wait_for_url("**/")
    assert Membership.objects.get(user=world.alice).role == "admin"  # the highest group wins
    assert Membership.objects.filter(user__email__iexact="alice@acme.test").count() == 1


@pytest.mark.browser
@pytest.mark.parametrize(
    ("login", "said"),
    [("una", "has not verified una@acme.test"), ("nog", "nog@acme.test has no role in learnloop")],
)
def test_an_unverified_email_or_no_role_is_turned_away_in_words(
    page: Any, world: World, signed_on: Provider, login: str, said: str
):
    sign_in_at_the_provider(page, login)
    page.wait_for_url("**/login/")
    assert said in page.inner_text("body")
    assert not Membership.objects.filter(user__email=ACCOUNTS[login]["email"]).exists()


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "http://127.0.0.1:9/another"}, "issuer"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"nonce": "another-nonce"}, "Nonce"),
    ],
)
def test_tokens_are_checked_for_audience_issuer_expiry_and_nonce(
    world: World, signed_on: Provider, claims: dict[str, Any], why: str
):
    backend = ProviderBackend()
    good = signed_on.token(nonce="the-nonce")
    assert backend.verify_token(good, nonce="the-nonce")["sub"] == "sam"
    bad = signed_on.token(**{"nonce": "the-nonce", **claims})
    with pytest.raises(SuspiciousOperation, match=f"(?i){why}"):
        backend.verify_token(bad, nonce="the-nonce")


def test_a_token_signed_by_another_key_is_refused(world: World, signed_on: Provider):
    forger = Provider(
        signed_on.issuer, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    with pytest.raises(SuspiciousOperation):
        ProviderBackend().verify_token(forger.token(nonce="n"), nonce="n")


def test_passwords_can_be_switched_off_but_for_the_break_glass_accounts(
    world: World, settings: Any, signed_on: Provider
):
    settings.PASSWORD_LOGIN = False
    settings.BREAK_GLASS_ACCOUNTS = {world.admin.email}
    refused = Client().post("/login/", {"username": world.alice.email, "password": PASSWORD})
    assert (
        refused.status_code == 200 and "passwords are switched off here" in refused.content.decode()
    )
    page = Client().get("/login/").content.decode()
    assert "Sign in with Acme SSO" in page and "Break-glass sign-in" in page
    allowed = Client().post("/login/", {"username": world.admin.email, "password": PASSWORD})
    assert allowed.status_code == 302 and allowed["Location"] == "/"


def test_without_a_provider_the_sso_pages_say_so(world: World, client: Any):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()


def test_learnloop_check_reaches_the_provider_and_checks_the_role_mapping(
    tmp_path: Path, signed_on: Provider
):
    from tests.test_check import check

    code, said = check(
        tmp_path / "data",
        OIDC_ISSUER=signed_on.issuer,
        OIDC_CLIENT_ID=CLIENT_ID,
        OIDC_CLIENT_SECRET=CLIENT_SECRET,
        OIDC_ROLES="sre=responder,learnloop-admins=superhero",
        SMTP_PORT="1",
    )
    assert f"The sign-in provider {signed_on.issuer} answers." in said
    assert "learnloop.E008" in said and "superhero" in said and code == 1
