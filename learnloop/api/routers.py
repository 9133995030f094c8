"""Every app's router, registered on the one API."""

from django.http import HttpRequest
from ninja import NinjaAPI, Router, Schema

from learnloop.api.common import member

health = Router(tags=["meta"])


class MeOut(Schema):
    email: str
    organisation: str
    role: str
    team: str | None


@health.get("/me", response=MeOut, summary="Who the caller is")
def me(request: HttpRequest) -> MeOut:
    membership = member(request)
    return MeOut(
        email=membership.user.email,
        organisation=membership.organisation.slug,
        role=membership.role,
        team=membership.team.slug if membership.team else None,
    )


def register(api: NinjaAPI) -> None:
    api.add_router("/", health)
