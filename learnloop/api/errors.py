"""Errors as JSON: 422 names the field path of every invalid input."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError


def field_path(location: tuple[object, ...]) -> str:
    """The field's path without where django-ninja found it: ("body", "payload", "title") is
    "title" (the second part names the view's argument), ("query", "limit") "limit". A field
    may itself be called "body"."""
    parts = list(location)
    if parts[:1] == ["body"]:
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts[:1] in (["query"], ["path"]):
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": field_path(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors
        ]
        return api.create_response(request, {"detail": errors}, status=422)

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You may not do this."
        return api.create_response(request, {"detail": message}, status=403)

    @api.exception_handler(DjangoValidationError)
    def invalid_model(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                {"field": name, "message": " ".join(m for e in errs for m in e.messages)}
                for name, errs in exc.error_dict.items()
            ]
        else:
            errors = [{"field": "", "message": m} for m in exc.messages]
        return api.create_response(request, {"detail": errors}, status=422)
