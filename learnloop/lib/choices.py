"""Choice fields that name rows by id refuse an id no database integer can hold as an invalid
choice. Django turns a malformed id into "Select a valid choice", but on SQLite an id of forty
digits overflows the driver instead (OverflowError: a server error). Installed once, at start
(accounts.apps)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import ModelChoiceField, ModelMultipleChoiceField


def _refusing_overflow(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(self: ModelChoiceField[Any], value: Any) -> Any:
        try:
            return method(self, value)
        except OverflowError:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(value)[:40]},
            ) from None

    return checked


def install() -> None:
    if not getattr(ModelChoiceField, "_learnloop_checked", False):
        for cls, name in (
            (ModelChoiceField, "to_python"),
            (ModelMultipleChoiceField, "_check_values"),
        ):
            setattr(cls, name, _refusing_overflow(getattr(cls, name)))
        ModelChoiceField._learnloop_checked = True  # type: ignore[attr-defined]
