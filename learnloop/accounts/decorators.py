"""Every page needs a logged-in member of an organisation; the view receives the membership."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from learnloop.accounts.models import Membership
from learnloop.accounts.rights import membership_of

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)
View = Callable[Concatenate[HttpRequest, Membership, P], R]


def member_required(view: View[P, R]) -> Callable[Concatenate[HttpRequest, P], R]:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        membership = membership_of(request.user)
        if membership is None:
            raise PermissionDenied("You are not a member of any organisation.")
        return view(request, membership, *args, **kwargs)

    return cast(Callable[Concatenate[HttpRequest, P], R], wrapper)


def forbid_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied
