"""Every app's router, registered on the one API."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Router

from learnloop.accounts.home import build
from learnloop.api.common import Schema, member

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


class HomeItemOut(Schema):
    title: str
    url: str
    note: str
    when: datetime | None
    late: bool


class HomeSectionOut(Schema):
    key: str
    title: str
    count: int
    url: str = Field(description="The filtered list, or the page where it is done")
    items: list[HomeItemOut] = Field(description="The first few; count says how many")


class ShareOut(Schema):
    amount: Decimal
    tco: Decimal | None
    percent: Decimal | None = Field(description="Share of the cost of ownership")
    band: str


class TeamCostsOut(Schema):
    team: str
    quarters: list[ShareOut]


class HomeOut(Schema):
    role: str
    sections: list[HomeSectionOut]
    team_cost: ShareOut | None = Field(description="Product managers: their team, this quarter")
    year: int | None
    organisation_costs: list[TeamCostsOut] = Field(
        description="Admins and problem managers: every team and the organisation, by quarter"
    )


def _share(share: Any) -> ShareOut:
    return ShareOut(amount=share.amount, tco=share.tco, percent=share.percent, band=share.band)


@health.get("/me/home", response=HomeOut, summary="What needs the caller now (their home)")
def my_home(request: HttpRequest) -> HomeOut:
    membership = member(request)
    found = build(membership, membership.last_home_at)
    return HomeOut(
        role=found.role,
        sections=[
            HomeSectionOut(
                key=s.key,
                title=s.title,
                count=s.count,
                url=request.build_absolute_uri(s.url),
                items=[
                    HomeItemOut(
                        title=i.title,
                        url=request.build_absolute_uri(i.url),
                        note=i.note,
                        when=i.when,
                        late=i.late,
                    )
                    for i in s.items
                ],
            )
            for s in found.sections
        ],
        team_cost=_share(found.team_cost) if found.team_cost else None,
        year=found.year or None,
        organisation_costs=[
            TeamCostsOut(team=row.team, quarters=[_share(q) for q in row.quarters])
            for row in found.organisation_costs
        ],
    )
