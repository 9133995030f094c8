"""A made-up Slack workspace export of an incident channel, written to the format Slack's export
uses, for the demo, the tests and the bench: two days of a response, with threads and replies,
edits, a paging bot, file shares, joins and topic changes, mentions, links and text in several
scripts. The same seed writes the same export."""

from __future__ import annotations

import io
import json
import random
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PEOPLE = [
    ("U01ALICE", "alice", "Alice Analyst", "alice@acme.test"),
    ("U02BOB", "bob", "Bob Builder", "bob@acme.test"),
    ("U03CAROL", "carol", "Carol Coder", "carol@acme.test"),
    ("U04DMITRI", "dmitri", "Dmitri Søndergaard", "dmitri@contractor.test"),
    ("U05YUKI", "yuki", "Yuki 佐藤", "yuki@acme.test"),
]
BOT = ("U06PAGER", "pagerbot", "PagerDuty")
CHANNEL = ("C0INCIDENT", "inc-checkout")

LINES = [
    "Checkout error rate is climbing, 5xx at {n}%",
    "I see it too, <@{other}> can you check the gateway dashboards?",
    "Looking. The <https://grafana.acme.test/d/gw|gateway board> shows p99 at {n}00 ms",
    "Rolled back deploy #{n}? Not yet, checking the diff first",
    "Card declines from the acquirer &gt; {n}% since 08:05",
    "Paging <!subteam^S01PAY|@payments-oncall> for help",
    "Could be the connection pool: max {n} connections &amp; all busy",
    "Customer support says people can't pay 😬",
    "Raising the pool size to {n} on one canary",
    "Canary looks healthy, error rate back under 1%",
    "Rolling the change out to all nodes",
    "All green. Keeping the channel open for an hour",
    "Merci, c'est réglé de notre côté aussi",
    "Noted in <#C0GENERAL|general>, status page updated",
    "Does anyone know why the retry storm started? متأكد؟",
]


@dataclass
class Export:
    data: bytes
    messages: int  # what learnloop keeps
    system: int  # joins and topic changes, skipped
    threads: int
    replies: int
    edited: int
    bots: int
    files: int
    days: list[str] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None


def _ts(when: datetime, sequence: int) -> str:
    return f"{int(when.timestamp())}.{sequence % 1_000_000:06d}"


def write(
    messages: int = 400,
    seed: int = 7,
    start: datetime | None = None,
    channel: str = CHANNEL[1],
    people: list[tuple[str, str, str, str]] | None = None,
    lines: list[str] | None = None,
    span: timedelta = timedelta(hours=36),
) -> Export:
    """`people`: (Slack id, handle, name, email); `lines`: what they say, with {n} a number and
    {other} someone's Slack id."""
    people = people or PEOPLE
    lines = lines or LINES
    rng = random.Random(seed)  # noqa: S311 - made-up messages, not secrets
    start = start or datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
    step = span / max(messages, 1)
    by_day: dict[str, list[dict[str, Any]]] = {}
    counts = dict(system=0, threads=0, replies=0, edited=0, bots=0, files=0)
    open_threads: list[str] = []
    kept = 0
    when = start
    for number in range(messages):
        when = start + step * number + timedelta(seconds=rng.randint(0, 5))
        ts = _ts(when, number)
        person = rng.choice(people)
        other = rng.choice(people)
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": person[0]}
        roll = rng.random()
        if number % 50 == 0:
            message.update(subtype="channel_join", text=f"<@{person[0]}> has joined the channel")
            counts["system"] += 1
        elif number % 97 == 0:
            message.update(subtype="channel_topic", text=f"set the channel topic: {channel}")
            counts["system"] += 1
        elif roll < 0.08:
            message = {
                "type": "message",
                "subtype": "bot_message",
                "ts": ts,
                "bot_id": "B0PAGER",
                "username": BOT[2],
                "text": "",
                "attachments": [
                    {
                        "fallback": f"Alert #{number} triggered for #{channel}",
                        "color": "danger",
                    }
                ],
            }
            counts["bots"] += 1
            kept += 1
        else:
            text = rng.choice(lines).format(n=rng.randint(2, 40), other=other[0])
            message.update(text=text, user_profile={"real_name": person[2]})
            if roll < 0.14:
                name = rng.choice(["gateway.log", "dashboard.png", "pool-settings.yaml"])
                message.update(
                    subtype="file_share",
                    files=[{"id": f"F{number}", "name": name, "title": name}],
                )
                counts["files"] += 1
            if roll > 0.9:
                message["edited"] = {"user": person[0], "ts": _ts(when + timedelta(minutes=1), 1)}
                counts["edited"] += 1
            if open_threads and 0.55 < roll < 0.75:
                parent = rng.choice(open_threads)
                message.update(thread_ts=parent, parent_user_id=people[0][0])
                counts["replies"] += 1
            elif 0.75 <= roll < 0.8:
                message.update(thread_ts=ts, reply_count=0)
                open_threads.append(ts)
                counts["threads"] += 1
            kept += 1
        by_day.setdefault(when.date().isoformat(), []).append(message)
    users = [
        {
            "id": uid,
            "name": handle,
            "real_name": name,
            "is_bot": False,
            "profile": {"real_name": name, "display_name": handle, "email": email},
        }
        for uid, handle, name, email in people
    ]
    users.append({"id": BOT[0], "name": BOT[1], "is_bot": True, "profile": {"real_name": BOT[2]}})
    channels = [
        {"id": CHANNEL[0], "name": channel, "created": int(start.timestamp())},
        {"id": "C0GENERAL", "name": "general", "created": int(start.timestamp())},
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("users.json", json.dumps(users, ensure_ascii=False, indent=1))
        archive.writestr("channels.json", json.dumps(channels, indent=1))
        archive.writestr("groups.json", "[]")
        archive.writestr("integration_logs.json", "[]")
        archive.writestr("general/", "")
        for day, said in sorted(by_day.items()):
            archive.writestr(
                f"{channel}/{day}.json", json.dumps(said, ensure_ascii=False, indent=1)
            )
    return Export(
        data=buffer.getvalue(),
        messages=kept,
        system=counts["system"],
        threads=counts["threads"],
        replies=counts["replies"],
        edited=counts["edited"],
        bots=counts["bots"],
        files=counts["files"],
        days=sorted(by_day),
        first=start,
        last=when,
    )
