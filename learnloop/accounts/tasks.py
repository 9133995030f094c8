"""Background work of accounts: the invitation email of someone new, sent by `learnloop worker`
once the invitation has committed."""

from __future__ import annotations

from django.contrib.auth.models import User
from django_tasks import task

from learnloop.accounts.models import Membership


@task()
def send_invitation(membership_id: int, by_id: int | None = None) -> int:
    from learnloop.accounts.setup import send_invitation as send

    membership = Membership.objects.select_related("user", "organisation").filter(pk=membership_id)
    found = membership.first()
    if found is None or found.user.has_usable_password():
        return 0  # gone, or they have chosen a password meanwhile
    by = User.objects.filter(pk=by_id).first() if by_id is not None else None
    return int(send(found, by))
