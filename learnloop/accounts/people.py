"""Choosing people of the organisation in a form: responders, analysts, interviewees,
facilitators, stakeholders, walkthrough invitations. Up to LISTED people they are listed by name;
past that, as for teams and services (lib/widgets.NamedChoice), they are typed by address, with
suggestions from the `/names/person/` page: an organisation of thousands of people would
otherwise read and write out every one of them in each form that names someone."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.urls import reverse

from learnloop.accounts.models import Membership
from learnloop.lib.widgets import SUGGESTED, ValuesChoice, is_typed, past_listed, type_in

SEPARATORS = re.compile(r"[,;\s]+")


def people_of(membership: Membership) -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(memberships__organisation_id=membership.organisation_id)
        .order_by("first_name", "email")
    )


def label_of(first: str, last: str, email: str) -> str:
    """A person's name as `User.get_full_name` gives it, or else their address."""
    return f"{first} {last}".strip() or email


def addresses_in(text: str) -> list[str]:
    """The addresses typed in a box, in order, once each (commas, semicolons or spaces apart)."""
    return list(dict.fromkeys(part for part in SEPARATORS.split(text.strip()) if part))


def by_address(people: QuerySet[User], addresses: list[str]) -> list[User]:
    """These people, in the order their addresses were typed (any case). An address nobody of
    them has is refused, naming it."""
    if not addresses:
        return []
    wanted = Q()
    for address in addresses:
        wanted |= Q(email__iexact=address)
    found: dict[str, User] = {}
    for person in people.filter(wanted).order_by("pk"):
        found.setdefault(person.email.lower(), person)
    unknown = [address for address in addresses if address.lower() not in found]
    if unknown:
        raise ValidationError(
            "No one in the organisation has the address %(unknown)s.",
            code="invalid_choice",
            params={"unknown": ", ".join(unknown)},
        )
    return [found[address.lower()] for address in addresses]


def suggested_people(people: QuerySet[User], typed: str) -> list[tuple[str, str]]:
    """(value, name) suggestions for a box of addresses: people whose name or address holds the
    last part typed, each value being the whole box with that part completed, so that a list of
    several addresses keeps those before it."""
    before, comma, last = typed.rpartition(",")
    last = last.strip()
    kept = f"{before}{comma} " if comma else ""
    found = people
    if last:
        found = people.filter(
            Q(first_name__icontains=last) | Q(last_name__icontains=last) | Q(email__icontains=last)
        )
    rows = found.values_list("first_name", "last_name", "email")[:SUGGESTED]
    return [
        (f"{kept}{email}", label_of(first, last_name, email)) for first, last_name, email in rows
    ]


class _People:
    """What PersonChoice and PersonField share: offered the organisation's people, listed or
    typed, and what a typed box holds."""

    label_columns: tuple[str, ...] = ("first_name", "last_name", "email")
    queryset: Any
    widget: Any
    required: bool

    def label_from_values(self, *values: Any) -> str:
        return label_of(*values)

    def offer(self, people: QuerySet[User], many: bool) -> None:
        self.queryset = people
        if many:
            multiple = isinstance(self, forms.ModelMultipleChoiceField)
            hint = "type addresses, with commas between" if multiple else "type an address"
            type_in(self, reverse("suggested_people"), hint)  # type: ignore[arg-type]

    @property
    def typed(self) -> bool:
        return is_typed(self)  # type: ignore[arg-type]

    def prepare_value(self, value: Any) -> Any:
        return self.addresses(value) if self.typed else super().prepare_value(value)  # type: ignore[misc]

    def addresses(self, value: Any) -> str:
        """The box's text for a value: what was typed, or the chosen people's addresses."""
        if value is None or isinstance(value, str):
            return value or ""
        chosen = value if isinstance(value, list | tuple | QuerySet) else [value]
        ids = [getattr(person, "pk", person) for person in chosen]
        emails = dict(self.queryset.filter(pk__in=ids).values_list("pk", "email"))
        return ", ".join(emails[pk] for pk in ids if pk in emails)


class PersonChoice(_People, ValuesChoice, forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """People of the organisation, by their full name or else their address."""

    def clean(self, value: Any) -> Any:
        if not self.typed:
            return super().clean(value)
        typed = addresses_in(value if isinstance(value, str) else "")
        if not typed and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        chosen = by_address(self.queryset, typed)
        return self.queryset.filter(pk__in=[person.pk for person in chosen])

    def has_changed(self, initial: Any, data: Any) -> bool:
        if not self.typed:
            return super().has_changed(initial, data)
        return addresses_in(self.addresses(initial)) != addresses_in(data or "")


class PersonField(_People, ValuesChoice):
    """One person of the organisation, labelled as PersonChoice labels them."""

    def to_python(self, value: Any) -> Any:
        if not self.typed:
            return super().to_python(value)
        typed = addresses_in(value if isinstance(value, str) else "")
        if len(typed) > 1:
            raise ValidationError("Give one address.", code="invalid_choice")
        return by_address(self.queryset, typed)[0] if typed else None

    def has_changed(self, initial: Any, data: Any) -> bool:
        if not self.typed:
            return super().has_changed(initial, data)
        return self.addresses(initial) != (data or "").strip()


def offer_people(form: forms.BaseForm, membership: Membership, names: list[str]) -> None:
    """Offers these person fields of the form the organisation's people: listed, or typed when
    there are more than LISTED of them (one query to tell, LISTED + 1 rows at most)."""
    people = people_of(membership)
    many = past_listed(people)
    for name in names:
        field = form.fields[name]
        assert isinstance(field, _People)
        field.offer(people, many)
