"""Reading a Slack workspace export: a ZIP with users.json, channels.json (groups.json for private
channels) and a folder per channel holding a JSON file per day, each a list of messages.

Nothing is unpacked to disk. The archive is checked before anything is read: a ZIP that is damaged,
encrypted, holds links or paths outside the archive, or unpacks past the limits below is refused
with the reason, and so is a file or message that is not what Slack writes (named by file and
position)."""

from __future__ import annotations

import html
import json
import posixpath
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from learnloop.lib.storable import storable

MAX_FILES = 200_000
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed, for files over a megabyte: a ZIP bomb's mark

# Kept: what people (and bots) said. Skipped: joins, topics, pins and other system messages.
SAID = {"", "bot_message", "file_share", "thread_broadcast", "me_message"}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
MARKUP = re.compile(r"<([^<>]*)>")


class BadExport(ValueError):  # noqa: N818 - reads as the verdict
    """Not a Slack export this reader accepts; the message says what and where."""


@dataclass
class Author:
    name: str
    email: str = ""
    is_bot: bool = False


@dataclass
class Message:
    ts: str
    posted_at: datetime
    thread_ts: str
    is_reply: bool
    author: str
    author_email: str
    is_bot: bool
    edited: bool
    text: str
    files: list[str] = field(default_factory=list)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def posted(ts: Any, where: str) -> datetime:
    """Slack's ts ("1585820345.000200") is the time to the microsecond."""
    try:
        seconds = Decimal(str(ts))
        if not seconds.is_finite() or not 0 <= seconds < 10**11:
            raise InvalidOperation
    except InvalidOperation as error:
        raise BadExport(f"{where}: ts {ts!r} is not a Slack timestamp") from error
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(seconds * 10**6))


def _unsafe(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return f"{name}: a path outside the archive"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"{name}: a symbolic link"
    if info.flag_bits & 0x1:
        return f"{name}: encrypted"
    if info.file_size > MAX_FILE_BYTES:
        return f"{name}: {info.file_size:,} bytes unpacked, over the limit of {MAX_FILE_BYTES:,}"
    if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"{name}: unpacks {info.file_size // max(info.compress_size, 1)}x its size"
    return None


class SlackExport:
    def __init__(self, file: str | IO[bytes]) -> None:
        try:
            self.zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise BadExport(f"not a ZIP archive, or a damaged one ({error})") from error
        infos = self.zip.infolist()
        if len(infos) > MAX_FILES:
            raise BadExport(f"{len(infos):,} files, over the limit of {MAX_FILES:,}")
        total = sum(i.file_size for i in infos)
        if total > MAX_TOTAL_BYTES:
            raise BadExport(f"unpacks to {total:,} bytes, over the limit of {MAX_TOTAL_BYTES:,}")
        for info in infos:
            problem = _unsafe(info)
            if problem:
                raise BadExport(problem)
        self.names = {i.filename for i in infos}
        roots = sorted((n for n in self.names if posixpath.basename(n) == "users.json"), key=len)
        if not roots:
            raise BadExport("no users.json: this is not a Slack workspace export")
        self.prefix = roots[0][: -len("users.json")]
        self.authors = self._authors()
        self.channels = self._channels()

    def _json(self, name: str) -> Any:
        try:
            with self.zip.open(self.prefix + name) as member:
                return json.load(member)
        except KeyError as error:
            raise BadExport(f"{name} is missing") from error
        except json.JSONDecodeError as error:
            raise BadExport(
                f"{name}: invalid JSON at line {error.lineno} column {error.colno}"
            ) from error
        except UnicodeDecodeError as error:
            raise BadExport(f"{name}: not UTF-8 text") from error
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise BadExport(f"{name}: damaged in the archive ({error})") from error

    def _list(self, name: str) -> list[dict[str, Any]]:
        found = self._json(name)
        if not isinstance(found, list) or not all(isinstance(x, dict) for x in found):
            raise BadExport(f"{name}: expected a list of objects")
        return found

    def _authors(self) -> dict[str, Author]:
        authors = {}
        for index, user in enumerate(self._list("users.json")):
            if not isinstance(user.get("id"), str):
                raise BadExport(f"users.json: entry {index + 1} has no id")
            profile = _dict(user.get("profile"))
            name = (
                profile.get("real_name")
                or user.get("real_name")
                or profile.get("display_name")
                or user.get("name")
                or user["id"]
            )
            email = _text(profile.get("email"))
            is_bot = bool(user.get("is_bot")) or user["id"] == "USLACKBOT"
            authors[user["id"]] = Author(storable(str(name))[:200], storable(email)[:254], is_bot)
        return authors

    def _channels(self) -> dict[str, str]:
        """Channel name to id, public (channels.json) and private (groups.json)."""
        found: dict[str, str] = {}
        for listing in ("channels.json", "groups.json"):
            if self.prefix + listing not in self.names:
                if listing == "channels.json":
                    raise BadExport("channels.json is missing: not a Slack workspace export")
                continue
            for index, channel in enumerate(self._list(listing)):
                if not isinstance(channel.get("name"), str):
                    raise BadExport(f"{listing}: entry {index + 1} has no name")
                found[channel["name"]] = str(channel.get("id", ""))
        return found

    def days(self, channel: str) -> list[str]:
        folder = self.prefix + channel + "/"
        return sorted(n for n in self.names if n.startswith(folder) and DAY.match(n[len(folder) :]))

    def messages(
        self, channel: str, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Message | None]:
        """The channel's messages in time order; None for each system message skipped."""
        if channel not in self.channels and not self.days(channel):
            known = ", ".join(sorted(self.channels)[:20]) or "none"
            raise BadExport(f"no channel '{channel}' in the export (channels: {known})")
        for name in self.days(channel):
            day = date.fromisoformat(posixpath.basename(name)[:10])
            if (since and day < since.date() - timedelta(days=1)) or (
                until and day > until.date() + timedelta(days=1)
            ):
                continue
            where = name[len(self.prefix) :]
            for index, raw in enumerate(self._list(where)):
                message = self._message(raw, f"{where}: message {index + 1}")
                if message is None:
                    yield None
                elif (since is None or message.posted_at >= since) and (
                    until is None or message.posted_at <= until
                ):
                    yield message

    def _message(self, raw: dict[str, Any], where: str) -> Message | None:
        subtype = raw.get("subtype") or ""
        if not isinstance(subtype, str):
            raise BadExport(f"{where}: subtype is not text")
        if subtype not in SAID or raw.get("type", "message") != "message":
            return None
        ts = raw.get("ts")
        when = posted(ts, where)
        user = _text(raw.get("user"))
        author = self.authors.get(user)
        bot = _dict(raw.get("bot_profile"))
        profile = _dict(raw.get("user_profile"))  # people users.json lacks (another workspace's)
        if author is None and (profile.get("real_name") or profile.get("display_name")):
            named = profile.get("real_name") or profile.get("display_name")
            author = Author(storable(str(named))[:200])
        if author is None:
            named = bot.get("name") or raw.get("username") or user or "unknown"
            author = Author(storable(str(named))[:200], "", bool(raw.get("bot_id")) or bool(bot))
        is_bot = author.is_bot or subtype == "bot_message" or bool(raw.get("bot_id"))
        thread = _text(raw.get("thread_ts"))
        files = [
            storable(str(f.get("name") or f.get("title") or "(file not in the export)"))[:300]
            for f in _items(raw.get("files"))
            if isinstance(f, dict)
        ]
        return Message(
            ts=str(ts),
            posted_at=when,
            thread_ts=thread,
            is_reply=bool(thread) and thread != str(ts),
            author=author.name,
            author_email=author.email,
            is_bot=is_bot,
            edited=isinstance(raw.get("edited"), dict),
            text=self.readable(_said(raw)),
            files=files,
        )

    def readable(self, text: str) -> str:
        """Slack's markup as people read it: <@U1> as @Name, <#C1|general> as #general,
        <https://x|text> as text (https://x), and &amp; &lt; &gt; as the characters."""

        def one(match: re.Match[str]) -> str:
            inside = match.group(1)
            target, _, label = inside.partition("|")
            if target.startswith("@"):
                found = self.authors.get(target[1:])
                return "@" + (label or (found.name if found else target[1:]))
            if target.startswith("#"):
                names = {v: k for k, v in self.channels.items()}
                return "#" + (label or names.get(target[1:], target[1:]))
            if target.startswith("!"):
                special = target[1:].split("^")[0]
                return label or f"@{special}"
            if target.startswith("mailto:"):
                return label or target[len("mailto:") :]
            return f"{label} ({target})" if label and label != target else target

        return storable(html.unescape(MARKUP.sub(one, text)))


def _said(raw: dict[str, Any]) -> str:
    """The text, or for a bot that only sent attachments, their fallback text."""
    text = _text(raw.get("text"))
    if text.strip():
        return text
    for attachment in _items(raw.get("attachments")):
        if isinstance(attachment, dict):
            said = attachment.get("text") or attachment.get("fallback") or attachment.get("title")
            if isinstance(said, str) and said.strip():
                return said
    return ""
