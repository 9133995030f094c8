"""Each role's home page on the bench organisation, in process (Django's test client): a
responder with the most analysis periods, a product manager, a problem manager, an admin and a
member. The problem manager and admin are added for the measurement and removed after."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.test import Client

from bench.measure import RollbackError, Row, queries, row, timed
from learnloop.accounts.models import Membership, Organisation, Role


def homes(org: Organisation, n: int) -> list[Row]:
    rows: list[Row] = []
    try:
        with transaction.atomic():
            people = {
                "responder": Membership.objects.filter(organisation=org, role=Role.RESPONDER)
                .annotate(periods=Count("user__assignments"))
                .order_by("-periods")
                .first(),
                "product manager": Membership.objects.filter(
                    organisation=org, role=Role.PRODUCT_MANAGER
                ).first(),
                "member": Membership.objects.filter(organisation=org, role=Role.MEMBER).first(),
            }
            for role in (Role.PROBLEM_MANAGER, Role.ADMIN):
                email = f"bench-{role}@bench.test"
                user = User.objects.create_user(email, email)
                people[Role(role).label.lower()] = Membership.objects.create(
                    user=user, organisation=org, role=role
                )
            for name, membership in people.items():
                if membership is None:
                    continue
                client = Client()
                client.force_login(membership.user)
                client.get("/")  # the session's first visit also remembers the last one
                samples = timed(home_visits(client), n)
                note = f"{queries(client, '/')} queries"
                rows.append(row(f"home page: {name}", samples, note))
            raise RollbackError
    except RollbackError:
        pass
    return rows


def home_visits(client: Client) -> Callable[[int], object]:
    """The home page again and again, by one signed-in client."""
    return lambda i: client.get("/")
