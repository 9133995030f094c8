"""accounts/token_lookup reads a token's person, membership, organisation and team in one
statement and makes the instances itself: every field must hold what the ORM reads (moments
included, which SQLite keeps as text and lib.moments converts)."""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.utils import timezone

from learnloop.accounts.models import ApiToken, Membership, hash_token
from learnloop.accounts.token_lookup import find
from tests.conftest import World


def fields(instance: Model) -> dict[str, Any]:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_token_s_person_and_membership_are_what_the_orm_reads(world: World):
    user = world.payments_pm
    user.last_login = timezone.now()  # a moment with microseconds
    user.save()
    token, raw = ApiToken.issue(user, "lookup")
    token.last_used_at = timezone.now().replace(microsecond=0)  # and one without
    token.save()
    found = find(hash_token(raw))
    assert found is not None and found.membership is not None
    membership = Membership.objects.select_related("user", "organisation", "team").get(
        pk=found.membership.pk
    )
    assert fields(found.user) == fields(membership.user)
    assert fields(found.membership) == fields(membership)
    assert fields(found.membership.organisation) == fields(membership.organisation)
    assert found.membership.team is not None and membership.team is not None
    assert fields(found.membership.team) == fields(membership.team)
    assert found.last_used_at == token.last_used_at
    assert found.user.last_login is not None and found.user.last_login.utcoffset() is not None
