"""Setting up an organisation: its teams, the services they own, and its people (invited by email,
given a role and a team, deactivated). The settings pages, the API, the command line and the
catalogue import all go through here, so each rule is written once."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from learnloop.accounts.models import ApiToken, Membership, Organisation, Role, Service, Team
from learnloop.lib.storable import refusal
from learnloop.mail.models import MailPurpose
from learnloop.mail.outbox import compose, deliver


def _slug(slug: str, longest: int) -> str:
    slug = _text(slug, "slug").strip().lower()
    try:
        validate_slug(slug)
    except ValidationError as error:
        raise ValidationError(
            {"slug": f"'{slug}': use letters, digits, hyphens and underscores only."}
        ) from error
    if len(slug) > longest:
        raise ValidationError({"slug": f"'{slug}' is longer than {longest} characters."})
    return slug


def _text(value: str, field: str) -> str:
    """Text a database can store: no NUL character, no lone surrogate."""
    refused = refusal(value)
    if refused:
        raise ValidationError({field: refused})
    return value


def _name(name: str, required: bool = True) -> str:
    name = " ".join(_text(name, "name").split())
    if required and not name:
        raise ValidationError({"name": "Give it a name."})
    if len(name) > 200:
        raise ValidationError({"name": "At most 200 characters."})
    return name


def team_of(organisation: Organisation, slug: str | None, field: str = "team") -> Team | None:
    """The organisation's team with this slug (none for an empty slug); a ValidationError on
    `field` when there is no such team."""
    if not slug:
        return None
    _text(slug, field)
    found = Team.objects.filter(organisation=organisation, slug=slug).first()
    if found is None:
        raise ValidationError({field: f"No team '{slug}' in {organisation.slug}."})
    return found


@transaction.atomic
def save_team(organisation: Organisation, slug: str, name: str) -> tuple[Team, bool]:
    """Creates the team, or renames it when the slug is taken; returns it and whether it is new."""
    slug, name = _slug(slug, 60), _name(name)
    team, created = Team.objects.get_or_create(
        organisation=organisation, slug=slug, defaults={"name": name}
    )
    if not created and team.name != name:
        team.name = name
        team.save(update_fields=["name"])
    return team, created


@transaction.atomic
def save_service(
    organisation: Organisation, slug: str, name: str, team: Team | None
) -> tuple[Service, bool]:
    """Creates the service, or updates its name and owning team; returns it and whether new."""
    slug, name = _slug(slug, 100), _name(name)
    if team is not None and team.organisation_id != organisation.pk:
        raise ValidationError({"team": "That team is another organisation's."})
    service, created = Service.objects.get_or_create(
        organisation=organisation, slug=slug, defaults={"name": name, "team": team}
    )
    if not created and (service.name, service.team_id) != (name, team.pk if team else None):
        service.name, service.team = name, team
        service.save(update_fields=["name", "team"])
    return service, created


def _role(role: str) -> str:
    if role not in Role.values:
        raise ValidationError({"role": f"'{role}' is not a role: {', '.join(Role.values)}."})
    return role


@transaction.atomic
def invite(
    organisation: Organisation,
    email: str,
    role: str,
    team: Team | None,
    name: str = "",
    by: User | None = None,
) -> Membership:
    """Adds a person by email; someone new gets an email with a link to choose a password (sent
    by the worker once this commits, and recorded like every other email)."""
    email = _text(email, "email").strip().lower()
    name = _name(name, required=False)
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValidationError({"email": f"'{email}' is not an email address."}) from error
    role = _role(role)
    user = User.objects.filter(username=email).first()
    if (
        user is not None
        and Membership.objects.filter(user=user, organisation=organisation).exists()
    ):
        raise ValidationError({"email": f"{email} is already a member."})
    new = user is None
    if user is None:
        first, _, last = " ".join(name.split()).partition(" ")
        user = User.objects.create_user(
            username=email, email=email, first_name=first[:150], last_name=last[:150]
        )  # no usable password until they choose one
    membership = Membership.objects.create(
        user=user, organisation=organisation, role=role, team=team
    )
    if new:
        from learnloop.accounts.tasks import send_invitation as queued

        queued.enqueue(membership.pk, by.pk if by else None)  # commits with the invitation
    return membership


def set_password_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.BASE_URL + reverse("password_reset_confirm", args=[uid, token])


def send_invitation(membership: Membership, by: User | None) -> bool:
    person = membership.user
    context = {
        "organisation": membership.organisation,
        "person": person,
        "by": by,
        "link": set_password_link(person),
        "role": membership.get_role_display(),
    }
    message = compose(
        f"You are invited to learnloop at {membership.organisation.name}",
        render_to_string("accounts/email/invitation.txt", context),
        render_to_string("accounts/email/invitation.html", context),
        [person.email],
    )
    return deliver(
        message,
        about=f"membership:{membership.pk}",
        purpose=MailPurpose.INVITATION,
        user=person,
    )


@transaction.atomic
def change_member(membership: Membership, role: str, team: Team | None) -> Membership:
    membership.role = _role(role)
    if team is not None and team.organisation_id != membership.organisation_id:
        raise ValidationError({"team": "That team is another organisation's."})
    membership.team = team
    membership.save(update_fields=["role", "team"])
    return membership


@transaction.atomic
def set_active(membership: Membership, active: bool, by: Membership) -> Membership:
    """A deactivated person can no longer sign in or use their API tokens; their work stays."""
    if not active and membership.pk == by.pk:
        raise ValidationError({"active": "You cannot deactivate yourself."})
    user = membership.user
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
                token.revoke()
    return membership


def send_again(organisation: Organisation) -> list[str]:
    """Queues again the invitations the mail server did not take; returns to whom."""
    from learnloop.accounts.tasks import send_invitation as queued
    from learnloop.mail.outbox import undelivered

    members = Membership.objects.filter(organisation=organisation).values_list("pk", flat=True)
    failed = undelivered([f"membership:{pk}" for pk in members])
    for mail in failed:
        queued.enqueue(int(mail.about.removeprefix("membership:")))
    return [mail.recipient for mail in failed]
