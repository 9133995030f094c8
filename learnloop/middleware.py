"""An address whose path or query holds a NUL character (%00) is answered here, before any view
reads it: no page, record or filter value has one, and PostgreSQL fails any query given one
(a 500 until now). The path is a 404; a query parameter a 400 that names it; the API's answer
is its usual JSON error. Bodies are checked where they are read: forms by Django's own
validator, API bodies by api/common.Schema."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


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
