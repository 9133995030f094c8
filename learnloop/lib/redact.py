"""Secrets never leave in an error text, a log line, a page or an API answer. A request's
secrets are its credentials wherever they travel: the headers, basic auth, query values, the
URL's user part, and the path of a URL that is itself the secret (a Slack webhook). Errors name a
destination by its origin and a path whose opaque segments are masked."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MASK = "[secret]"
# A path segment shown in an error: API words and versions ("rest", "api", "3", "v1", "issue").
# Anything else (ids, keys, tokens) is shown as "…".
PLAIN_SEGMENT = re.compile(r"[a-z][a-z_.-]{0,10}|v?\d{1,2}")  # longer words may be tokens
HARMLESS_HEADERS = {
    "accept",
    "accept-encoding",
    "connection",
    "content-length",
    "content-type",
    "host",
    "user-agent",
    "x-atlassian-token",
}
SHORTEST = 6  # shorter values (an account id, "1") are not worth masking


def origin(url: str) -> str:
    """scheme://host[:port], without the user part, path or query."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def safe_path(path: str) -> str:
    segments = path.split("/")
    return "/".join(s if not s or PLAIN_SEGMENT.fullmatch(s) else "…" for s in segments)


def where(method: str, url: str) -> str:
    """How an error names a request: "POST https://hooks.slack.com/services/…/…/…"."""
    return f"{method} {origin(url)}{safe_path(urlsplit(url).path)}"


def opaque_parts(url: str) -> list[str]:
    """The parts of a URL that may be credentials: its user part, query values and opaque path
    segments (not the API's own words)."""
    parts = urlsplit(url)
    found = [parts.username or "", parts.password or "", *(v for _, v in parse_qsl(parts.query))]
    return found + [s for s in parts.path.split("/") if not PLAIN_SEGMENT.fullmatch(s)]


def parts_of(value: str) -> list[str]:
    """A secret and, when it is a URL, each part of it that could be quoted alone."""
    if "://" not in value:
        return [value]
    parts = urlsplit(value)
    return [value, parts.path, parts.query, *opaque_parts(value)]


def header_secrets(headers: Mapping[str, Any]) -> list[str]:
    """Header values that may carry a credential, whole and word by word ("Bearer abc...")."""
    found: list[str] = []
    for name, value in headers.items():
        if str(name).lower() not in HARMLESS_HEADERS:
            found += [str(value), *(p for p in str(value).split() if len(p) >= 12)]
    return found


def request_secrets(url: str, options: Mapping[str, Any]) -> list[str]:
    """The credentials one outgoing request carries, as the caller gave them."""
    found = opaque_parts(url) + header_secrets(dict(options.get("headers") or {}))
    auth = options.get("auth")
    if isinstance(auth, tuple):
        found += [str(part) for part in auth]
    params = options.get("params") or {}
    found += [str(v) for v in dict(params).values()]
    return found


def scrub(text: str, secrets: Iterable[str]) -> str:
    """The text with every secret (and every part of a secret URL) replaced by a mask."""
    candidates = {part for secret in secrets if secret for part in parts_of(secret)}
    for secret in sorted(candidates, key=len, reverse=True):
        if len(secret) >= SHORTEST:
            text = text.replace(secret, MASK)
    return text


class MaskUrls(logging.Filter):
    """On the HTTP client's loggers: each URL in a log line is shown as where() shows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                where("", str(arg)).strip() if "://" in str(arg) else arg for arg in record.args
            )
        if "://" in str(record.msg):
            record.msg = URL.sub(lambda m: where("", m.group(0)).strip(), str(record.msg))
        return True


URL = re.compile(r"https?://[^\s\"'<>]+")
