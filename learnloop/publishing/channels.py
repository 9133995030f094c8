"""The ways a published narrative reaches its readers, one shape for all: each kind of channel
delivers a story (or answers a test) and says whether a request that went out unanswered may
have arrived. The delivery machinery (services.py) finds the channel by kind in CHANNELS, as the
trackers are found in integrations/registry.py; a new kind is one class and one line here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from django.utils import timezone

from learnloop.integrations.base import TrackerError
from learnloop.integrations.confluence.transport import Site, site_adapter
from learnloop.integrations.slack.transport import SlackWebhook
from learnloop.mail import outbox
from learnloop.mail.outbox import compose
from learnloop.publishing import messages
from learnloop.publishing.models import ChannelKind, Delivery, PublishChannel


@dataclass
class Failure:
    detail: str
    retryable: bool
    in_doubt: bool = False
    retry_after: float | None = None
    status_code: int | None = None


@dataclass
class Success:
    outcome: str  # sent, created, updated, found
    detail: str
    status_code: int | None = None


Result = Success | Failure


class Channel:
    """One kind of channel. `unsure_once_sent`: a request that went out without an answer may
    have been delivered, and the kind cannot be asked (Slack), so it is not sent again by itself."""

    unsure_once_sent: ClassVar[bool] = False

    def deliver(self, delivery: Delivery, channel: PublishChannel, story: messages.Story) -> Result:
        raise NotImplementedError

    def test(self, channel: PublishChannel, story: messages.Story) -> Result:
        """A real message where one costs nothing, a look at the destination where it would
        leave something behind."""
        raise NotImplementedError


def _status(error: TrackerError) -> int | None:
    found = re.search(r"HTTP (\d{3})", str(error))
    return int(found.group(1)) if found else None


def _never_sent(error: TrackerError) -> bool:
    """True when the request cannot have reached the server: it could not even connect."""
    import httpx

    return isinstance(error.__cause__, httpx.ConnectError | httpx.ConnectTimeout)


def http_failure(error: TrackerError, ambiguous_is_doubt: bool) -> Failure:
    status = _status(error)
    doubt = ambiguous_is_doubt and status is None and not error.permanent and not _never_sent(error)
    return Failure(
        str(error)[:2000],
        retryable=not error.permanent and not doubt,
        in_doubt=doubt,
        retry_after=error.retry_after,
        status_code=status,
    )


class Email(Channel):
    """A distribution list: accepted by the mail server at the end of SMTP DATA, or not at all."""

    def deliver(self, delivery: Delivery, channel: PublishChannel, story: messages.Story) -> Result:
        return self._send(channel, story, delivery.message_id)

    def test(self, channel: PublishChannel, story: messages.Story) -> Result:
        stamp = timezone.now().timestamp()
        return self._send(channel, story, f"<test-{channel.pk}-{stamp}@learnloop>")

    def _send(self, channel: PublishChannel, story: messages.Story, message_id: str) -> Result:
        email = messages.email_of(story)
        message = compose(email.subject, email.text, email.html, channel.addresses)
        message.extra_headers = {"Message-ID": message_id, "X-Learnloop-Narrative": story.key}
        refusal = outbox.send([message])
        if refusal is not None:
            return Failure(refusal.text, retryable=refusal.retryable, status_code=refusal.code)
        recipients = len(channel.addresses)
        return Success("sent", f"Accepted by the mail server for {recipients} recipients.", 250)


class Slack(Channel):
    """An incoming webhook: it answers "ok" or an error, and cannot be asked afterwards."""

    unsure_once_sent = True

    def deliver(self, delivery: Delivery, channel: PublishChannel, story: messages.Story) -> Result:
        Delivery.objects.filter(pk=delivery.pk).update(request_sent_at=timezone.now())
        return self.test(channel, story)

    def test(self, channel: PublishChannel, story: messages.Story) -> Result:
        try:
            SlackWebhook(channel.secret).post(messages.slack_message(story))
        except TrackerError as error:
            return http_failure(error, ambiguous_is_doubt=True)
        return Success("sent", "Slack answered ok.", 200)


def site_of(channel: PublishChannel) -> Site:
    return Site(
        base_url=channel.base_url,
        account=channel.account,
        token=channel.secret,
        space=channel.space,
        parent_id=channel.parent_id,
    )


def _earlier_page(delivery: Delivery) -> str:
    """The page an earlier revision of this narrative went to on this channel, if any."""
    earlier = (
        Delivery.objects.filter(channel_id=delivery.channel_id, narrative_id=delivery.narrative_id)
        .exclude(remote_id="")
        .exclude(pk=delivery.pk)
        .order_by("-publication__revision")
        .first()
    )
    return earlier.remote_id if earlier else ""


class Confluence(Channel):
    """A page in a space (Cloud or Data Center): looked up by title before one is made, so an
    attempt whose answer was lost is found, not made twice."""

    def deliver(self, delivery: Delivery, channel: PublishChannel, story: messages.Story) -> Result:
        adapter = site_adapter(channel.kind, site_of(channel))
        page = messages.confluence_page(story)
        try:
            found = adapter.find(page.title)
            if found is None and (earlier := _earlier_page(delivery)):
                # The title changed since the page was made: update that page, never add one.
                found = adapter.find_by_id(earlier)
            if found is None:
                ref, outcome = adapter.create(page), "created"
            elif found.version_message == page.version_message or (
                story.revision == 1 and found.version == 1
            ):
                ref, outcome = found, "found"  # an earlier attempt wrote it; its answer was lost
            else:
                ref, outcome = adapter.update(found, page), "updated"
        except TrackerError as error:
            return http_failure(error, ambiguous_is_doubt=False)
        Delivery.objects.filter(pk=delivery.pk).update(remote_id=ref.id, remote_url=ref.url)
        return Success(outcome, f"Page {ref.id}, version {ref.version}: {ref.url}")

    def test(self, channel: PublishChannel, story: messages.Story) -> Result:
        try:
            return Success("ok", site_adapter(channel.kind, site_of(channel)).test())
        except TrackerError as error:
            return http_failure(error, ambiguous_is_doubt=False)


CHANNELS: dict[str, Channel] = {
    ChannelKind.EMAIL: Email(),
    ChannelKind.SLACK: Slack(),
    ChannelKind.CONFLUENCE_CLOUD: Confluence(),
    ChannelKind.CONFLUENCE_DC: Confluence(),
}


def channel_for(kind: str) -> Channel:
    return CHANNELS[kind]
