"""Mail through an organisation's own server: a login over STARTTLS or implicit TLS to a real
local SMTP server whose certificate comes from the organisation's own authority; and every
refusal (a recipient, the login, an untrusted certificate, no server at all) shown where the
sender looks, with a way to send again."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from learnloop.mail.models import SentMail
from learnloop.portal import services as portal
from tests.conftest import World, utc
from tests.queue import run_tasks
from tests.test_portal_helpers import published_narrative
from tests.test_reviews import scheduled
from tests.tls_material import Tls, make_tls

LOGIN, PASSWORD = "learnloop", "s3cret-smtp-password"


class Server:
    """Receives mail; refuses recipients it is told to refuse; checks the login."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = refuse
        self.logins: list[str] = []

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append(data.login.decode())
            if data.login.decode() == LOGIN and data.password.decode() == PASSWORD:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def tls(tmp_path: Path) -> Tls:
    return make_tls(tmp_path / "tls")


def start(server: Server, tls: Tls | None, implicit: bool = False) -> tuple[Controller, int]:
    port = free_port()
    if tls is None:
        controller = Controller(server, hostname="127.0.0.1", port=port)
    elif implicit:
        controller = Controller(
            server,
            hostname="127.0.0.1",
            port=port,
            ssl_context=tls.server_context,
            authenticator=server.authenticate,
            auth_require_tls=False,  # the whole connection is TLS; aiosmtpd cannot tell
        )
    else:
        controller = Controller(
            server,
            hostname="127.0.0.1",
            port=port,
            tls_context=tls.server_context,
            require_starttls=True,
            authenticator=server.authenticate,
            auth_require_tls=True,
        )
    controller.start()
    return controller, port


def use(settings: Any, port: int, security: str = "none", **more: Any) -> None:
    settings.EMAIL_BACKEND = "learnloop.mail.backend.SmtpBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = security == "starttls"
    settings.EMAIL_USE_SSL = security == "tls"
    settings.EMAIL_HOST_USER = more.get("user", "")
    settings.EMAIL_HOST_PASSWORD = more.get("password", "")
    settings.SMTP_CA_FILE = more.get("ca_file", "")
    settings.REPLY_TO_EMAIL = more.get("reply_to", "")
    settings.EMAIL_TIMEOUT = 5


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_invitations_go_through_a_login_over_tls_to_the_companys_server(
    world: World, settings: Any, tls: Tls, security: str
):
    server = Server()
    controller, port = start(server, tls, implicit=security == "tls")
    try:
        use(
            settings,
            port,
            security,
            user=LOGIN,
            password=PASSWORD,
            ca_file=str(tls.ca_file),
            reply_to="incidents@acme.test",
        )
        review = scheduled(world)
        run_tasks()
    finally:
        controller.stop()
    invited = {i.user.email for i in review.invitees.select_related("user")}
    assert {m["To"] for m in server.messages} == invited
    assert server.logins == [LOGIN] * len(invited)
    assert all(m["Reply-To"] == "incidents@acme.test" for m in server.messages)
    assert all(mail.sent for mail in SentMail.objects.filter(about=f"review:{review.pk}"))


def test_a_refused_login_is_shown_to_the_organiser_and_sent_again_once_fixed(
    world: World, settings: Any, tls: Tls
):
    server = Server()
    controller, port = start(server, tls)
    try:
        use(settings, port, "starttls", user=LOGIN, password="wrong", ca_file=str(tls.ca_file))
        review = scheduled(world)
        run_tasks()
        assert server.messages == []
        organiser = world.client_for(world.payments_pm)
        page = organiser.get(f"/reviews/{review.pk}/").content.decode()
        assert 'id="undelivered"' in page and "refused learnloop&#x27;s login" in page
        assert "wrong" not in page.split('id="undelivered"')[1].split("</div>")[0]
        # Those who do not run the review are not shown the mail server's troubles.
        assert (
            'id="undelivered"'
            not in world.client_for(world.alice).get(f"/reviews/{review.pk}/").content.decode()
        )

        settings.EMAIL_HOST_PASSWORD = PASSWORD
        answer = organiser.post(f"/reviews/{review.pk}/mail/send-again/")
        assert answer.status_code == 302
        run_tasks()
    finally:
        controller.stop()
    invited = {i.user.email for i in review.invitees.select_related("user")}
    assert sorted(m["To"] for m in server.messages) == sorted(invited)  # each once
    page = world.client_for(world.payments_pm).get(f"/reviews/{review.pk}/").content.decode()
    assert 'id="undelivered"' not in page


def test_a_server_whose_certificate_is_not_trusted_is_refused_in_words(
    world: World, settings: Any, tls: Tls
):
    server = Server()
    controller, port = start(server, tls)
    try:
        use(settings, port, "starttls", user=LOGIN, password=PASSWORD)  # no CA file
        review = scheduled(world)
        run_tasks()
    finally:
        controller.stop()
    assert server.messages == []
    failed = SentMail.objects.filter(about=f"review:{review.pk}", sent=False)
    assert failed.exists() and all("CERTIFICATE_VERIFY_FAILED" in m.error for m in failed)


def test_a_refused_recipient_is_named_and_the_others_still_get_theirs(world: World, settings: Any):
    server = Server(refuse=("alice@acme.test",))
    controller, port = start(server, None)
    try:
        use(settings, port)
        review = scheduled(world)
        run_tasks()
    finally:
        controller.stop()
    invited = {i.user.email for i in review.invitees.select_related("user")}
    assert {m["To"] for m in server.messages} == invited - {"alice@acme.test"}
    page = world.client_for(world.payments_pm).get(f"/reviews/{review.pk}/").content.decode()
    alert = page.split('id="undelivered"')[1].split("</div>")[0]
    assert "The mail server refused alice@acme.test." in alert
    assert "bob@acme.test" not in alert


def test_an_unreachable_server_is_shown_on_the_walkthrough_and_sent_again(
    world: World, settings: Any
):
    port = free_port()  # nobody listens there yet
    use(settings, port)
    narrative = published_narrative(world.org, "Search outage", "## Summary\n\nIt broke.")
    walkthrough = portal.schedule_walkthrough(
        narrative,
        world.payments_pm,
        kind="walkthrough",
        starts_at=utc(2026, 12, 3, 14),
        ends_at=utc(2026, 12, 3, 15),
        location="Room 2",
        people=[world.alice, world.carol],
        teams=[],
    )
    run_tasks()
    address = f"/narratives/{narrative.incident.key}/walkthroughs/{walkthrough.uid}/"
    organiser = world.client_for(world.payments_pm)
    page = organiser.get(address).content.decode()
    assert "3 emails not delivered" in page and "Nothing answers at the mail server" in page

    server = Server()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        organiser.post(address, {"action": "send_again"})
        run_tasks()
    finally:
        controller.stop()
    assert sorted(m["To"] for m in server.messages) == [
        "alice@acme.test",
        "carol@acme.test",
        world.payments_pm.email,
    ]
    assert 'id="undelivered"' not in organiser.get(address).content.decode()
