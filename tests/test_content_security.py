"""The Content-Security-Policy header: learnloop's middleware builds the settings' policy once and
must send exactly what django-csp would, follow a change of the settings, and leave responses
that change the policy or use a nonce to django-csp."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from csp.constants import NONCE
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import RequestFactory

from learnloop.middleware import ContentSecurityPolicyMiddleware

View = Callable[[HttpRequest], HttpResponseBase]


def plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a page")


def with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


@csp_update({"img-src": ["https://images.example"]})
def updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("a page with outside images")


@csp_exempt()
def exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("no policy")


def headers(middleware: type[CSPMiddleware], view: View, path: str = "/") -> dict[str, str]:
    request = RequestFactory().get(path)
    response = middleware(view)(request)
    return {k: v for k, v in response.headers.items() if k.startswith("Content-Security")}


@pytest.mark.parametrize("view", [plain, with_nonce, updated, exempt])
def test_the_header_is_django_csps(view: View):
    ours = headers(ContentSecurityPolicyMiddleware, view)
    assert ours == headers(CSPMiddleware, view)
    assert ("Content-Security-Policy" in ours) == (view is not exempt)
    if view is updated:
        assert "https://images.example" in ours["Content-Security-Policy"]


def test_a_change_of_the_settings_is_sent(settings: Any):
    before = headers(ContentSecurityPolicyMiddleware, plain)["Content-Security-Policy"]
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append("https://sso.example")
    settings.CONTENT_SECURITY_POLICY = policy
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/static/"],
    }
    after = headers(ContentSecurityPolicyMiddleware, plain)
    assert "https://sso.example" not in before
    assert "https://sso.example" in after["Content-Security-Policy"]
    assert after == headers(CSPMiddleware, plain)
    assert after["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    excluded = headers(ContentSecurityPolicyMiddleware, plain, "/static/app.css")
    assert "Content-Security-Policy-Report-Only" not in excluded
    assert excluded == headers(CSPMiddleware, plain, "/static/app.css")


def test_a_nonce_is_sent_where_the_policy_asks_for_one(settings: Any):
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["script-src"].append(NONCE)
    settings.CONTENT_SECURITY_POLICY = policy
    request = RequestFactory().get("/")
    response = ContentSecurityPolicyMiddleware(with_nonce)(request)
    nonce = str(request.csp_nonce)  # type: ignore[attr-defined]
    assert f"script-src 'self' 'nonce-{nonce}'" in response["Content-Security-Policy"]
    assert nonce in response.content.decode()


def test_a_nonce_asked_for_after_the_header_is_refused():
    request = RequestFactory().get("/")
    ContentSecurityPolicyMiddleware(plain)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]
