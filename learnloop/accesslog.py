"""The server's access log, without the secrets that travel in addresses: the tokens of the
private calendar and feed URLs, and query values (a tracker webhook's `?secret=`). Loaded by
gunicorn as its logger class."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from learnloop.lib.redact import MASK

# Routes whose path carries a bearer token (analysis/urls.py, portal/urls.py).
TOKEN_IN_PATH = re.compile(r"^(/(?:calendar|feeds)/)[^/?]+")
QUERY_VALUE = re.compile(r"=[^&]*")


def masked(target: str) -> str:
    """A request target (path and query) or full URL with its secrets masked."""
    parts = urlsplit(target)
    path = TOKEN_IN_PATH.sub(rf"\g<1>{MASK}", parts.path)
    query = QUERY_VALUE.sub(f"={MASK}", parts.query)
    prefix = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    return prefix + path + (f"?{query}" if query else "")


class AccessLog(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        method, _, rest = str(atoms["r"]).partition(" ")
        target, _, protocol = rest.rpartition(" ")
        atoms["r"] = f"{method} {masked(target)} {protocol}"
        atoms["U"] = masked(str(atoms["U"] or ""))
        atoms["q"] = QUERY_VALUE.sub(f"={MASK}", str(atoms["q"] or ""))
        if atoms["f"] != "-":
            atoms["f"] = masked(str(atoms["f"]))
        for name in [k for k in atoms if k.startswith("{") and k[1:-2].lower() in SENSITIVE]:
            atoms[name] = MASK
        return atoms


SENSITIVE = {
    "authorization",
    "cookie",
    "x-csrftoken",
    "raw_uri",
    "query_string",
    "path_info",
    "request_uri",
    "http_cookie",
    "http_authorization",
    "http_referer",
    "referer",
}
