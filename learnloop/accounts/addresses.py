"""The address a request came from: REMOTE_ADDR, or, behind LEARNLOOP_TRUSTED_PROXIES proxies,
the address the nearest of them saw (the rest of X-Forwarded-For can be written by anyone)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    """None when the request names no valid address (a test's request, a Unix socket)."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
