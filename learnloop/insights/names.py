"""The organisation's named things a form chooses by slug (teams, services, learning themes):
which model each field names, offered to a filter's NamedChoice fields and the incident form's
NamedModelChoice ones, and answered by the suggestions page (views.suggested_names)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.urls import reverse

from learnloop.accounts.models import Service, Team
from learnloop.analysis.models import LearningTheme
from learnloop.lib.widgets import NamedChoice, NamedModelChoice

NAMED: dict[str, type[Model]] = {"team": Team, "service": Service, "theme": LearningTheme}


def of_organisation(kind: str, organisation_id: int) -> QuerySet[Any, Any]:
    return NAMED[kind]._default_manager.filter(organisation_id=organisation_id)


def offer_named(form: forms.BaseForm, membership: Any, kinds: list[str]) -> None:
    """Offers each of these fields of the form (named as their kind: a filter's NamedChoice or
    a saving form's NamedModelChoice) the organisation's things, with the suggestions page for
    its kind."""
    for kind in kinds:
        field = form.fields[kind]
        assert isinstance(field, NamedChoice | NamedModelChoice)
        field.offer(
            of_organisation(kind, membership.organisation_id),
            reverse("suggested_names", args=[kind]),
        )
