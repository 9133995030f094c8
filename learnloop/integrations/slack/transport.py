"""Slack incoming webhooks: one POST of a JSON message to the webhook's secret URL. Slack answers
200 "ok", or an error code in plain text (400 invalid_payload, 403/404/410 for a webhook that no
longer works, 429 with Retry-After, 500). There is no way to ask Slack whether a post arrived."""

from __future__ import annotations

from typing import Any

from learnloop.integrations.base import PermanentError, send


class SlackWebhook:
    kind = "slack"

    def __init__(self, webhook_url: str) -> None:
        self.webhook_url = webhook_url

    def post(self, message: dict[str, Any]) -> str:
        """Posts the message; returns Slack's answer. Raises TransientError or PermanentError."""
        response = send("POST", self.webhook_url, json=message, headers={"Accept": "text/plain"})
        answer = response.text.strip()
        if answer != "ok":
            raise PermanentError(f"Slack answered {response.status_code} {answer[:200]!r}")
        return answer
