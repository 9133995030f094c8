"""learnloop's own middleware.

An address whose path or query holds a NUL character (%00) is answered here, before any view
reads it: no page, record or filter value has one, and PostgreSQL fails any query given one
(a 500 until now). The path is a 404; a query parameter a 400 that names it; the API's answer
is its usual JSON error. Bodies are checked where they are read: forms by Django's own
validator, API bodies by api/common.Schema.

Every response carries the Content-Security-Policy of the settings, built once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse


class NulInAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            return _refused(request, 404, "No such page: the address holds a NUL character.")
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                shown = name.replace("\x00", "%00")
                why = f"The query parameter '{shown}' holds a NUL character, which no value has."
                return _refused(request, 400, why)
        return self.get_response(request)


def _refused(request: HttpRequest, status: int, why: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": why}, status=status)
    return HttpResponse(why, status=status, content_type="text/plain; charset=utf-8")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the settings' policies built once, not for every response:
    django-csp builds both (the policy and the report-only one) anew each time, 50 us of an API
    request that takes 0.85 ms. learnloop's views neither change the policy nor use a nonce; a
    response that does (django-csp's decorators, `request.csp_nonce`) is left to django-csp."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        own = getattr(request, "_csp_nonce", None) is not None
        if own or settings.DEBUG or any(name.startswith("_csp_") for name in vars(response)):
            return super().process_response(request, response)
        for header, policy, excluded in _policies():
            if policy and header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp does: a nonce asked for after the header is written is an error.
        setattr(request, "csp_nonce", CheckableLazyObject(self._csp_nonce_post_response))  # noqa: B010
        return response


@cache
def _policies() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(header, policy, excluded address prefixes) for the policy and the report-only one, as
    django-csp builds them from the settings."""
    return tuple(
        (header, build_policy(report_only=report_only), _excluded(setting))
        for header, setting, report_only in (
            (HEADER, "CONTENT_SECURITY_POLICY", False),
            (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
        )
    )


def _excluded(setting: str) -> tuple[str, ...]:
    policy = getattr(settings, setting, None) or {}
    return tuple(policy.get("EXCLUDE_URL_PREFIXES", None) or ())


@receiver(setting_changed)
def _settings_changed(setting: str, **_: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY") or setting == "DEBUG":
        _policies.cache_clear()
