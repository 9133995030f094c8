"""The one way learnloop talks to other services over HTTP: timeouts always, and no requests to
private, loopback or link-local addresses unless the operator allows them (no server-side request
forgery through a tracker URL typed into a settings form)."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

if TYPE_CHECKING:  # httpx (with certifi) is imported by the first request, not by every worker
    import httpx


class DestinationRefused(Exception):  # noqa: N818 - reads as what happened
    """The URL points somewhere learnloop may not send requests."""


def check_destination(url: str) -> str | None:
    """Refuses a URL learnloop may not send to. Returns the address that was checked, which the
    request must then connect to (resolving the name again could give another: DNS rebinding),
    or None when any address is allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"a {parts.scheme or 'schemeless'} URL is not an http(s) URL")
    if settings.ALLOW_PRIVATE_DESTINATIONS:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        addresses = [info[4][0] for info in socket.getaddrinfo(parts.hostname, port)]
    except (socket.gaierror, ValueError, UnicodeError) as error:
        raise DestinationRefused(f"{parts.hostname} does not resolve") from error
    for address in addresses:
        if not public(ipaddress.ip_address(str(address).split("%")[0])):
            raise DestinationRefused(f"{parts.hostname} resolves to a private address {address}")
    return str(addresses[0])


def public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved)


def pinned(url: str, address: str, options: dict[str, Any]) -> str:
    """The URL with its host replaced by the checked address; the Host header and TLS (SNI and
    the certificate's name) still use the name."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = (f"{userinfo}@" if userinfo else "") + host + (f":{parts.port}" if parts.port else "")
    name = parts.netloc.rpartition("@")[2]
    options["headers"] = {**dict(options.get("headers") or {}), "Host": name}
    extensions = dict(options.get("extensions") or {})
    options["extensions"] = {**extensions, "sni_hostname": parts.hostname}
    return urlunsplit(parts._replace(netloc=netloc))


@functools.cache
def _tls() -> ssl.SSLContext:
    """Built once: loading the certificate store took most of a request's time."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Sends one request. Raises DestinationRefused, or httpx's errors for the network."""
    import httpx

    address = check_destination(url)
    if address is not None:
        url = pinned(url, address, kwargs)
    kwargs.setdefault("timeout", httpx.Timeout(settings.HTTP_TIMEOUT))
    with httpx.Client(follow_redirects=False, verify=_tls()) as client:
        return client.request(method, url, **kwargs)
