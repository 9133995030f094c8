"""`learnloop user create`, `token create`, `team create`, `service create` and
`catalog import`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from learnloop.accounts import setup
from learnloop.accounts.models import ApiToken, Membership, Organisation, Team
from learnloop.cli import CommandError


def organisation_from(slug: str | None) -> Organisation:
    if slug:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"--org: no organisation with slug '{slug}'")
        return organisation
    organisations = list(Organisation.objects.order_by("id")[:2])
    if len(organisations) == 1:
        return organisations[0]
    if not organisations:
        return Organisation.objects.create(name="My organisation", slug="default")
    raise CommandError("--org: several organisations exist; say which one")


def create_user(
    email: str, role: str, org: str | None, team: str | None, name: str, stdin: TextIO
) -> int:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as error:
        raise CommandError(f"EMAIL: '{email}' is not an email address") from error
    User = get_user_model()  # noqa: N806
    if User.objects.filter(username=email).exists():
        raise CommandError(f"EMAIL: a person with email '{email}' already exists")
    password = stdin.readline().rstrip("\n")
    if not password:
        raise CommandError("password: give the password on standard input")
    try:
        validate_password(password, User(username=email, email=email))
    except ValidationError as error:
        raise CommandError("password: " + " ".join(error.messages)) from error
    with transaction.atomic():
        organisation = organisation_from(org)
        team_obj = None
        if team:
            team_obj = Team.objects.filter(organisation=organisation, slug=team).first()
            if team_obj is None:
                raise CommandError(f"--team: no team '{team}' in {organisation.slug}")
        first, _, last = name.partition(" ")
        user = User.objects.create_user(
            username=email, email=email, password=password, first_name=first, last_name=last
        )
        Membership.objects.create(user=user, organisation=organisation, role=role, team=team_obj)
    print(f"created {email} ({role} in {organisation.slug})")
    return 0


def create_token(email: str, name: str) -> int:
    user = get_user_model().objects.filter(username=email.strip().lower()).first()
    if user is None:
        raise CommandError(f"EMAIL: no person with email '{email}'")
    _, raw = ApiToken.issue(user, name)
    print(raw)
    return 0


def _refused(error: ValidationError) -> CommandError:
    return CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()))


def create_team(slug: str, name: str, org: str | None) -> int:
    organisation = organisation_from(org)
    try:
        team, created = setup.save_team(organisation, slug, name)
    except ValidationError as error:
        raise _refused(error) from error
    print(
        f"{'created' if created else 'kept'} team {team.slug} ({team.name}) in {organisation.slug}"
    )
    return 0


def create_service(slug: str, name: str, team: str | None, org: str | None) -> int:
    organisation = organisation_from(org)
    try:
        owner = setup.team_of(organisation, team)
        service, created = setup.save_service(organisation, slug, name, owner)
    except ValidationError as error:
        raise _refused(error) from error
    owned = f", owned by {owner.slug}" if owner else ""
    print(
        f"{'created' if created else 'kept'} service {service.slug}{owned} in {organisation.slug}"
    )
    return 0


def import_catalog(paths: list[str], org: str | None) -> int:
    from learnloop.accounts.catalog import CatalogError
    from learnloop.accounts.catalog import import_catalog as load

    organisation = organisation_from(org)
    try:
        counts = load([Path(p) for p in paths], organisation)
    except CatalogError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"nothing imported: {len(error.problems)} problems", file=sys.stderr)
        return 1
    print(", ".join(f"{count} {what}" for what, count in counts.items()))
    return 0
