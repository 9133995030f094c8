"""ListedSelect writes the same HTML as Django's own Select, for any choices, groups, values
and attributes."""

from __future__ import annotations

from typing import Any

from django import forms
from hypothesis import given
from hypothesis import strategies as st

from learnloop.lib.widgets import ListedSelect
from tests.conftest import World

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
VALUE = st.one_of(TEXT, st.integers(-5, 500))
OPTIONS = st.lists(st.tuples(VALUE, TEXT), max_size=6)
CHOICES = st.lists(st.one_of(st.tuples(VALUE, TEXT), st.tuples(TEXT, OPTIONS)), max_size=6)
ATTRS = st.dictionaries(
    st.sampled_from(["id", "class", "hx-get", "data-x", "required", "disabled"]),
    st.one_of(TEXT, st.booleans(), st.integers()),
    max_size=4,
)


@given(choices=CHOICES, value=st.one_of(st.none(), VALUE), attrs=ATTRS, name=TEXT)
def test_a_listed_select_is_django_s_select(choices: Any, value: Any, attrs: Any, name: str):
    django_s = forms.Select(choices=choices).render(name, value, attrs)
    ours = ListedSelect(choices=choices).render(name, value, attrs)
    assert ours == django_s


def test_the_filter_forms_use_it():
    from learnloop.incidents.forms import FilterForm
    from learnloop.portal.forms import PortalFilterForm

    for form in (FilterForm, PortalFilterForm):
        chosen = [
            name for name, field in form.base_fields.items() if type(field.widget) is forms.Select
        ]
        assert chosen == [], f"{form.__name__}: {chosen} render through Django's templates"


def test_a_named_choice_offers_the_organisation_s_own_and_cleans_to_a_slug(world: World):
    """The filters' teams, services and themes: names shown, slugs kept, another
    organisation's slug refused as not one of the choices."""
    from learnloop.accounts.models import Team
    from learnloop.incidents.forms import FilterForm

    Team.objects.create(organisation=world.other_org, name="Elsewhere", slug="elsewhere")
    membership = world.member.memberships.get()
    form = FilterForm({"team": "payments"}, membership=membership)
    assert form.is_valid() and form.cleaned_data["team"] == "payments"
    assert '<option value="payments" selected>Payments</option>' in str(form["team"])
    assert "Elsewhere" not in str(form["team"])
    refused = FilterForm({"team": "elsewhere"}, membership=membership)
    assert not refused.is_valid() and "team" in refused.errors
    assert FilterForm({}, membership=membership).is_valid()


def test_the_portal_names_the_chosen_team_s_feed(world: World):
    from tests.test_portal_helpers import published_narrative

    published_narrative(world.org, "Card declines", team=world.payments)
    client = world.client_for(world.member)
    page = client.get("/narratives/", {"team": "payments"}).content.decode()
    assert "Card declines" in page and "Payments's feed" in page
    assert "s feed" not in client.get("/narratives/").content.decode()
