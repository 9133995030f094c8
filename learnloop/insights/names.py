"""The organisation's named things a filter chooses by slug (teams, services, learning themes):
which model each filter field names, offered to a form's NamedChoice fields and answered by the
suggestions page (views.suggested_names)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.urls import reverse

from learnloop.accounts.models import Service, Team
from learnloop.analysis.models import LearningTheme
from learnloop.lib.widgets import NamedChoice

NAMED: dict[str, type[Model]] = {"team": Team, "service": Service, "theme": LearningTheme}


def of_organisation(kind: str, organisation_id: int) -> QuerySet[Any, Any]:
    return NAMED[kind]._default_manager.filter(organisation_id=organisation_id)


def offer_named(form: forms.Form, membership: Any, kinds: list[str]) -> None:
    """Offers each of these NamedChoice fields of the form (named as their kind) the
    organisation's things, with the suggestions page for its kind."""
    for kind in kinds:
        field = form.fields[kind]
        assert isinstance(field, NamedChoice)
        field.offer(
            of_organisation(kind, membership.organisation_id),
            reverse("suggested_names", args=[kind]),
        )
