"""ListedSelect writes the same HTML as Django's own Select, for any choices, groups, values
and attributes."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from learnloop.lib.widgets import ListedCheckboxes, ListedSelect, ListedSelectMultiple
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


@given(choices=CHOICES, values=st.lists(VALUE, max_size=3), attrs=ATTRS, name=TEXT)
def test_a_listed_multiple_select_is_django_s(choices: Any, values: Any, attrs: Any, name: str):
    django_s = forms.SelectMultiple(choices=choices).render(name, values, attrs)
    ours = ListedSelectMultiple(choices=choices).render(name, values, attrs)
    assert ours == django_s
    data = QueryDict(mutable=True)
    data.setlist(name, [str(v) for v in values])
    assert ListedSelectMultiple().value_from_datadict(data, {}, name) == [str(v) for v in values]


@given(choices=CHOICES, values=st.lists(VALUE, max_size=3), attrs=ATTRS, name=TEXT)
def test_listed_checkboxes_are_django_s(choices: Any, values: Any, attrs: Any, name: str):
    django_s = forms.CheckboxSelectMultiple(choices=choices).render(name, values, attrs)
    assert ListedCheckboxes(choices=choices).render(name, values, attrs) == django_s


def test_the_filter_forms_and_the_incident_form_use_it():
    from learnloop.incidents.forms import FilterForm, IncidentForm
    from learnloop.portal.forms import PortalFilterForm

    for form in (FilterForm, PortalFilterForm, IncidentForm):
        chosen = [
            name
            for name, field in form.base_fields.items()
            if type(field.widget) in (forms.Select, forms.SelectMultiple)
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


def many_services(world: World, count: int) -> None:
    from learnloop.accounts.models import Service

    Service.objects.bulk_create(
        Service(organisation=world.org, name=f"Service {n:03}", slug=f"service-{n:03}")
        for n in range(count)
    )


def test_past_the_listed_few_a_named_thing_is_typed_and_looked_up_by_its_slug(world: World):
    """An organisation with more services than LISTED: the filter does not read or write them
    all, it takes a typed slug, checks it with one lookup and refuses another organisation's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learnloop.accounts.models import Service
    from learnloop.incidents.forms import FilterForm
    from learnloop.lib.widgets import LISTED

    many_services(world, LISTED + 1)
    Service.objects.create(organisation=world.other_org, name="Elsewhere", slug="elsewhere")
    membership = world.member.memberships.get()
    form = FilterForm({"service": "service-042"}, membership=membership)
    with CaptureQueriesContext(connection) as lookups:
        assert form.is_valid()
    assert form.cleaned_data["service"] == "service-042" and len(lookups) == 1
    assert form.fields["service"].name_of("service-042") == "Service 042"  # type: ignore[attr-defined]
    box = str(form["service"])
    assert 'value="service-042"' in box and 'hx-get="/names/service/?box=service"' in box
    assert "<datalist" in box and "<option" not in box  # none of the 101 written out
    assert "<select" in str(form["team"])  # the few teams are still listed
    refused = FilterForm({"service": "elsewhere"}, membership=membership)
    assert not refused.is_valid() and "service" in refused.errors
    assert "elsewhere" in str(refused["service"])  # what was typed is kept to be corrected
    assert FilterForm({"service": ""}, membership=membership).is_valid()


def test_the_list_pages_do_not_write_out_every_service(world: World):
    from learnloop.lib.widgets import LISTED

    many_services(world, 3 * LISTED)
    client = world.client_for(world.member)
    for address in ("/incidents/", "/narratives/"):
        page = client.get(address).content.decode()
        assert "Service 000" not in page and 'list="id_service-names"' in page, address
        filtered = client.get(address, {"service": "service-007"})
        assert filtered.status_code == 200 and "errorlist" not in filtered.content.decode()


def test_suggestions_are_the_organisation_s_names_that_hold_what_was_typed(world: World):
    from learnloop.accounts.models import Service
    from learnloop.lib.widgets import SUGGESTED

    many_services(world, 60)
    Service.objects.create(organisation=world.other_org, name="Service 900", slug="service-900")
    client = world.client_for(world.member)

    def options(kind: str, **typed: str) -> list[tuple[str, str]]:
        answer = client.get(f"/names/{kind}/", typed)
        assert answer.status_code == 200
        return re.findall(r'<option value="([^"]*)">([^<]*)</option>', answer.content.decode())

    assert options("service", service="ice 04") == [
        (f"service-04{n}", f"Service 04{n}") for n in range(10)
    ]
    assert options("service", service="SERVICE-059") == [("service-059", "Service 059")]
    assert options("service", service="9") == [
        (f"service-{n:03}", f"Service {n:03}") for n in (9, 19, 29, 39, 49, 59)
    ]  # not another organisation's Service 900
    first = options("service")  # nothing typed yet: the first by name
    assert len(first) == SUGGESTED and first[0] == ("checkout", "Checkout")
    assert options("team", team="pay") == [("payments", "Payments")]
    assert client.get("/names/incident/", {"incident": "x"}).status_code == 404
    Service.objects.create(organisation=world.org, name="A <b>bold</b> one", slug="bold-one")
    escaped = client.get("/names/service/", {"service": "<b>"}).content.decode()
    assert escaped == '<option value="bold-one">A &lt;b&gt;bold&lt;/b&gt; one</option>'


def test_people_teams_and_services_are_offered_from_values_as_their_instances_would_be(
    world: World,
):
    """PersonChoice, PersonField and the incident form's team and service read their choices as
    values, no instance each; the labels are the instances' own, and a bound form still shows
    what is chosen."""
    from django import forms as django_forms

    from learnloop.accounts.models import Service, Team
    from learnloop.accounts.people import PersonField, people_of
    from learnloop.incidents.forms import IncidentForm

    world.alice.first_name, world.alice.last_name = "", "Only-Last"
    world.alice.save()
    membership = world.admin.memberships.get()
    people = people_of(membership)
    form = IncidentForm(membership=membership)
    instances = django_forms.ModelMultipleChoiceField(queryset=people)
    instances.label_from_instance = lambda u: u.get_full_name() or u.email  # type: ignore[method-assign]
    expected = [(str(v), label) for v, label in instances.choices]
    assert [(str(v), label) for v, label in form.fields["responders"].choices] == expected
    assert "Only-Last" in dict(expected).values()
    one = PersonField(queryset=people)
    assert [(str(v), label) for v, label in one.choices] == [("", "---------"), *expected]
    for name, model in (("team", Team), ("service", Service)):
        named = model.objects.filter(organisation=world.org)
        assert list(form.fields[name].choices) == [
            ("", "---------"),
            *[(thing.pk, thing.name) for thing in named],
        ]
    from learnloop.incidents.services import record_incident

    incident = record_incident(world.org, None, title="Chosen", team=world.payments)
    incident.responders.create(user=world.alice)
    edit = IncidentForm(instance=incident, membership=membership)
    html = str(edit["team"]) + str(edit["responders"])
    assert f'<option value="{incident.team_id}" selected>' in html
    assert f'<option value="{world.alice.pk}" selected>Only-Last</option>' in html


def many_people(world: World, count: int) -> list[Any]:
    """`count` more members of the organisation, Person 000 <person-000@acme.test> onwards."""
    from learnloop.accounts.models import Membership, Role
    from learnloop.accounts.models import User as Person

    people = Person.objects.bulk_create(
        Person(username=f"person-{n:03}@acme.test", email=f"person-{n:03}@acme.test",
               first_name="Person", last_name=f"{n:03}")
        for n in range(count)
    )  # fmt: skip
    Membership.objects.bulk_create(
        Membership(user=person, organisation=world.org, role=Role.RESPONDER) for person in people
    )
    return people


def test_past_the_listed_few_people_are_typed_by_address_and_looked_up(world: World):
    """Responders among hundreds of people: the incident form does not write them all out; it
    takes typed addresses (any case, commas or spaces between), names the ones nobody has and
    keeps what was typed; an edit shows the chosen people's addresses."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learnloop.incidents.forms import IncidentForm, ResponderForm
    from learnloop.incidents.services import record_incident
    from learnloop.lib.widgets import LISTED

    people = many_people(world, LISTED)
    membership = world.admin.memberships.get()
    with CaptureQueriesContext(connection) as rendering:
        box = str(IncidentForm(membership=membership)["responders"])
    assert 'hx-get="/names/person/?box=responders"' in box and "<option" not in box
    assert not [q for q in rendering.captured_queries if "person-0" in q["sql"]]
    data = {"title": "Typed", "severity": 2, "status": "investigating", "team": world.payments.pk}
    typed = IncidentForm(
        {**data, "responders": "PERSON-007@acme.test,  person-042@acme.test person-007@acme.test"},
        membership=membership,
    )
    assert typed.is_valid(), typed.errors
    assert list(typed.cleaned_data["responders"]) == [people[7], people[42]]
    unknown = IncidentForm(
        {**data, "responders": "person-001@acme.test, admin@other.test, nobody@x.test"},
        membership=membership,
    )
    assert not unknown.is_valid()
    assert unknown.errors["responders"] == [
        "No one in the organisation has the address admin@other.test, nobody@x.test."
    ]  # the other organisation's member is not offered either
    assert "nobody@x.test" in str(unknown["responders"])  # kept, to be corrected
    incident = record_incident(world.org, None, title="Chosen", team=world.payments)
    incident.responders.create(user=people[3])
    incident.responders.create(user=world.alice)
    shown = str(IncidentForm(instance=incident, membership=membership)["responders"])
    assert f'value="person-003@acme.test, {world.alice.email}"' in shown or (
        f'value="{world.alice.email}, person-003@acme.test"' in shown
    )
    one = ResponderForm({"user": "person-009@acme.test", "response_role": "on_call"},
                        membership=membership)  # fmt: skip
    assert one.is_valid() and one.cleaned_data["user"] == people[9]
    two = ResponderForm({"user": "person-009@acme.test, person-010@acme.test",
                         "response_role": "on_call"}, membership=membership)  # fmt: skip
    assert not two.is_valid() and two.errors["user"] == ["Give one address."]
    assert not ResponderForm({"user": "", "response_role": "on_call"},
                             membership=membership).is_valid()  # fmt: skip


def test_up_to_the_listed_few_people_are_listed_as_before(world: World):
    from learnloop.incidents.forms import ResponderForm
    from learnloop.lib.widgets import LISTED

    many_people(world, LISTED - 10)  # with the world's own people, still no more than LISTED
    membership = world.admin.memberships.get()
    box = str(ResponderForm(membership=membership)["user"])
    assert "<select" in box and "Person 042" in box


def test_people_suggested_complete_the_last_address_typed(world: World):
    from learnloop.lib.widgets import SUGGESTED

    many_people(world, 30)
    client = world.client_for(world.bob)

    def options(**typed: str) -> list[tuple[str, str]]:
        answer = client.get("/names/person/", typed)
        assert answer.status_code == 200
        return re.findall(r'<option value="([^"]*)">([^<]*)</option>', answer.content.decode())

    assert options(box="stakeholders", stakeholders="person-02") == [
        (f"person-02{n}@acme.test", f"Person 02{n}") for n in range(10)
    ]
    assert options(box="people", people="person-001@acme.test, 029") == [
        ("person-001@acme.test, person-029@acme.test", "Person 029")
    ]  # found by the last name; what came before is kept
    assert options(box="user", user=world.alice.first_name.upper()) == [
        (world.alice.email, world.alice.get_full_name())
    ]
    assert options(box="user", user="other.test") == []  # the other organisation's admin
    assert len(options(box="user", user="")) == SUGGESTED
    # A member of no team fills no form that names people: no one's address for them.
    refused = world.client_for(world.member).get("/names/person/", {"box": "q", "q": "alice"})
    assert refused.status_code == 403 and b"alice@" not in refused.content


def test_the_incident_form_types_a_service_past_the_listed_few(world: World):
    """The incident form saves a service, not a slug: past LISTED services it takes a typed
    slug and cleans it to the organisation's service; an edit shows the chosen one's slug."""
    from learnloop.accounts.models import Service
    from learnloop.incidents.forms import IncidentForm
    from learnloop.incidents.services import record_incident
    from learnloop.lib.widgets import LISTED

    many_services(world, LISTED + 1)
    Service.objects.create(organisation=world.other_org, name="Elsewhere", slug="elsewhere")
    membership = world.admin.memberships.get()
    blank = IncidentForm(membership=membership)
    box = str(blank["service"])
    assert 'hx-get="/names/service/?box=service"' in box and "<option" not in box
    assert "<select" in str(blank["team"])  # the world's few teams are still listed
    data = {"title": "Typed", "severity": 2, "status": "investigating"}
    typed = IncidentForm({**data, "service": " service-042 "}, membership=membership)
    assert typed.is_valid(), typed.errors
    service = Service.objects.get(organisation=world.org, slug="service-042")
    assert typed.cleaned_data["service"] == service
    refused = IncidentForm({**data, "service": "elsewhere"}, membership=membership)
    assert not refused.is_valid() and "service" in refused.errors
    assert 'value="elsewhere"' in str(refused["service"])  # kept, to be corrected
    assert IncidentForm({**data, "service": ""}, membership=membership).is_valid()
    incident = record_incident(world.org, None, title="Chosen", service=service)
    edit = IncidentForm(instance=incident, membership=membership)
    assert 'value="service-042"' in str(edit["service"])
