"""The organisation's teams, services and people through the API. Everyone reads the teams and
services; only admins change them or see and manage the people."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router
from ninja.responses import Status

from learnloop.accounts import setup
from learnloop.accounts.models import Membership, Role, Service, Team
from learnloop.api.common import RowId, Schema, member

router = Router(tags=["organisation"])


def admin(request: HttpRequest) -> Membership:
    membership = member(request)
    if not membership.is_admin:
        raise PermissionDenied
    return membership


class TeamOut(Schema):
    slug: str
    name: str
    services: list[str] = Field(description="The slugs of the services it owns")


class TeamIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)


class ServiceOut(Schema):
    slug: str
    name: str
    team: str | None = Field(description="The owning team's slug")


class ServiceIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    team: str | None = Field(None, max_length=60, description="The owning team's slug")


class PersonOut(Schema):
    id: int
    email: str
    name: str
    role: Role
    team: str | None
    active: bool
    last_login: datetime | None

    @staticmethod
    def of(membership: Membership) -> PersonOut:
        user = membership.user
        return PersonOut(
            id=membership.pk,
            email=user.email,
            name=user.get_full_name(),
            role=Role(membership.role),
            team=membership.team.slug if membership.team else None,
            active=user.is_active,
            last_login=user.last_login,
        )


class InviteIn(Schema):
    email: str = Field(..., max_length=254)
    name: str = Field("", max_length=200)
    role: Role
    team: str | None = Field(None, max_length=60)


class PersonPatch(Schema):
    role: Role | None = None
    team: str | None = Field(None, max_length=60, description="A team's slug; null: none")
    active: bool | None = None


@router.get("/teams", response=list[TeamOut], summary="The organisation's product teams")
def list_teams(request: HttpRequest) -> list[TeamOut]:
    teams = Team.objects.filter(organisation_id=member(request).organisation_id)
    return [
        TeamOut(slug=t.slug, name=t.name, services=[s.slug for s in t.services.all()])
        for t in teams.prefetch_related("services")
    ]


@router.put(
    "/teams/{slug}",
    response={200: TeamOut, 201: TeamOut},
    summary="Add a team, or rename the team with this slug (admins)",
)
def put_team(request: HttpRequest, slug: str, payload: TeamIn) -> Status[TeamOut]:
    organisation = admin(request).organisation
    team, created = setup.save_team(organisation, slug, payload.name)
    services = [s.slug for s in team.services.all()]
    return Status(
        201 if created else 200, TeamOut(slug=team.slug, name=team.name, services=services)
    )


@router.get("/services", response=list[ServiceOut], summary="The organisation's services")
def list_services(request: HttpRequest) -> list[ServiceOut]:
    found = Service.objects.filter(organisation_id=member(request).organisation_id)
    return [
        ServiceOut(slug=s.slug, name=s.name, team=s.team.slug if s.team else None)
        for s in found.select_related("team")
    ]


@router.put(
    "/services/{slug}",
    response={200: ServiceOut, 201: ServiceOut},
    summary="Add a service owned by a team, or change the service with this slug (admins)",
)
def put_service(request: HttpRequest, slug: str, payload: ServiceIn) -> Status[ServiceOut]:
    organisation = admin(request).organisation
    team = setup.team_of(organisation, payload.team)
    service, created = setup.save_service(organisation, slug, payload.name, team)
    shown = ServiceOut(slug=service.slug, name=service.name, team=team.slug if team else None)
    return Status(201 if created else 200, shown)


@router.get("/people", response=list[PersonOut], summary="The organisation's people (admins)")
def list_people(request: HttpRequest) -> list[PersonOut]:
    membership = admin(request)
    found = Membership.objects.filter(organisation=membership.organisation)
    return [PersonOut.of(m) for m in found.select_related("user", "team").order_by("user__email")]


@router.post(
    "/people",
    response={201: PersonOut},
    summary="Invite someone by email with a role and a team (admins); someone new gets an email "
    "with a link to choose a password",
)
def invite(request: HttpRequest, payload: InviteIn) -> Status[PersonOut]:
    membership = admin(request)
    organisation = membership.organisation
    team = setup.team_of(organisation, payload.team)
    added = setup.invite(
        organisation, payload.email, payload.role, team, payload.name, by=membership.user
    )
    return Status(201, PersonOut.of(added))


@router.patch(
    "/people/{person_id}",
    response=PersonOut,
    summary="Change someone's role or team, or deactivate or reactivate them (admins)",
)
def change_person(request: HttpRequest, person_id: RowId, payload: PersonPatch) -> PersonOut:
    membership = admin(request)
    target = get_object_or_404(
        Membership.objects.select_related("user", "team"),
        pk=person_id,
        organisation=membership.organisation,
    )
    sent = payload.dict(exclude_unset=True)
    if "role" in sent and sent["role"] is None:
        raise ValidationError({"role": "A person always has a role."})
    if "role" in sent or "team" in sent:
        team = (
            setup.team_of(membership.organisation, sent["team"]) if "team" in sent else target.team
        )
        setup.change_member(target, sent.get("role") or target.role, team)
    if sent.get("active") is not None:
        setup.set_active(target, sent["active"], by=membership)
    return PersonOut.of(target)
