"""The one way learnloop talks to other services over HTTP: timeouts always, and no requests to
private, loopback or link-local addresses unless the operator allows them (no server-side request
forgery through a tracker URL typed into a settings form)."""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from django.conf import settings


class DestinationRefused(Exception):  # noqa: N818 - reads as what happened
    """The URL points somewhere learnloop may not send requests."""


def check_destination(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(f"a {parts.scheme or 'schemeless'} URL is not an http(s) URL")
    if settings.ALLOW_PRIVATE_DESTINATIONS:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except socket.gaierror as error:
        raise DestinationRefused(f"{parts.hostname} does not resolve") from error
    for address in addresses:
        ip = ipaddress.ip_address(str(address).split("%")[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise DestinationRefused(f"{parts.hostname} resolves to a private address {ip}")


@functools.cache
def _tls() -> ssl.SSLContext:
    """Built once: loading the certificate store took most of a request's time."""
    return ssl.create_default_context(cafile=certifi.where())


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """Sends one request. Raises DestinationRefused, or httpx's errors for the network."""
    check_destination(url)
    kwargs.setdefault("timeout", httpx.Timeout(settings.HTTP_TIMEOUT))
    with httpx.Client(follow_redirects=False, verify=_tls()) as client:
        return client.request(method, url, **kwargs)
