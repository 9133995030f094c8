"""Errors as JSON: 422 names the field path of every invalid input."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError


def field_path(location: tuple[object, ...]) -> str:
    parts = [str(p) for p in location if p not in ("body", "payload", "query", "path")]
    return ".".join(parts)


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
