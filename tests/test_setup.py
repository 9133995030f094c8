"""Setting up an organisation without Django's admin: teams and services on a page, through the
API and from the command line; people invited by email (a real SMTP server receives the link,
the link sets the password), given roles and teams, deactivated; and teams and services from a
Backstage catalogue or a CSV file, all or nothing, again without duplicates."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnloop.accounts.catalog import CatalogError, import_catalog
from learnloop.accounts.models import ApiToken, Membership, Service, Team
from learnloop.audit.models import AuditEntry
from learnloop.cli import main
from tests.conftest import World
from tests.queue import run_tasks
from tests.test_mail import Server, free_port, use

JSON = "application/json"
NEW_PASSWORD = "river otter lantern 58"


def test_an_admin_adds_teams_and_services_on_the_page(world: World):
    admin = world.client_for(world.admin)
    assert admin.get("/settings/teams/").status_code == 200
    admin.post("/settings/teams/", {"form": "team", "slug": "platform", "name": "Platform"})
    admin.post(
        "/settings/teams/",
        {"form": "service", "slug": "gateway", "name": "API gateway", "team": "platform"},
    )
    service = Service.objects.get(organisation=world.org, slug="gateway")
    assert service.team == Team.objects.get(organisation=world.org, slug="platform")
    page = admin.post("/settings/teams/", {"form": "team", "slug": "Not a slug!", "name": "X"})
    assert page.status_code == 200 and "slug" in page.content.decode().lower()
    assert not Team.objects.filter(name="X").exists()
    renamed = admin.post("/settings/teams/", {"form": "team", "slug": "platform", "name": "Core"})
    assert renamed.status_code == 302
    assert Team.objects.get(organisation=world.org, slug="platform").name == "Core"
    assert world.client_for(world.payments_pm).get("/settings/teams/").status_code == 403


@pytest.fixture
def smtp(settings: Any) -> Any:
    server = Server()
    port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()
    use(settings, port)
    settings.BASE_URL = "http://testserver"
    yield server
    controller.stop()


def test_someone_invited_by_email_chooses_a_password_and_signs_in(world: World, smtp: Server):
    admin = world.client_for(world.admin)
    answer = admin.post(
        "/settings/people/",
        {
            "email": "New.Person@Acme.test",
            "name": "Nia New",
            "role": "responder",
            "team": "payments",
        },
    )
    assert answer.status_code == 302
    person = User.objects.get(username="new.person@acme.test")
    assert not person.has_usable_password()
    membership = Membership.objects.get(user=person)
    assert (membership.role, membership.team) == ("responder", world.payments)
    assert run_tasks() >= 1
    (mail,) = smtp.messages
    assert mail["To"] == "new.person@acme.test"
    link = re.search(
        r"http://testserver(/account/password/choose/\S+/)", mail.get_body(("plain",)).get_content()
    )
    assert link, mail
    browser = Client()
    form = browser.get(link[1], follow=True)
    assert "Choose your password" in form.content.decode()
    weak = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "123456789012", "new_password2": "123456789012"},
    )
    assert "entirely numeric" in weak.content.decode()
    chosen = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert chosen.status_code == 302
    signed_in = Client().post(
        "/login/", {"username": "new.person@acme.test", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/"
    again = Client().get(link[1], follow=True).content.decode()
    assert "has been used already or has expired" in again

    twice = admin.post("/settings/people/", {"email": "new.person@acme.test", "role": "member"})
    assert "already a member" in twice.content.decode()


def test_roles_teams_and_deactivation_take_effect_and_are_audited(world: World):
    admin = world.client_for(world.admin)
    carol = Membership.objects.get(user=world.carol)
    admin.post(f"/settings/people/{carol.pk}/", {"role": "product_manager", "team": "search"})
    carol.refresh_from_db()
    assert carol.role == "product_manager"
    _, raw = ApiToken.issue(world.carol, "script")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/incidents").status_code == 200
    admin.post(f"/settings/people/{carol.pk}/", {"active": "no"})
    world.carol.refresh_from_db()
    assert not world.carol.is_active
    assert api.get("/api/v1/incidents").status_code == 401
    refused = Client().post(
        "/login/", {"username": world.carol.email, "password": "correct horse battery"}
    )
    assert refused.status_code == 200  # the form again: an inactive person cannot sign in
    assert AuditEntry.objects.filter(action="member_changed", target=world.carol.email).count() >= 2
    admin_self = Membership.objects.get(user=world.admin)
    admin.post(f"/settings/people/{admin_self.pk}/", {"active": "no"})
    world.admin.refresh_from_db()
    assert world.admin.is_active, "an admin cannot lock themselves out"
    admin.post(f"/settings/people/{carol.pk}/", {"active": "yes"})
    world.carol.refresh_from_db()
    assert world.carol.is_active


def bearer(user: Any) -> Client:
    _, raw = ApiToken.issue(user, "setup test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_the_api_sets_up_teams_services_and_people(world: World):
    api = bearer(world.admin)
    made = api.put("/api/v1/teams/platform", {"name": "Platform"}, content_type=JSON)
    assert made.status_code == 201 and made.json() == {
        "slug": "platform",
        "name": "Platform",
        "services": [],
    }
    assert api.put("/api/v1/teams/platform", {"name": "Core"}, content_type=JSON).status_code == 200
    service = api.put(
        "/api/v1/services/gateway", {"name": "Gateway", "team": "platform"}, content_type=JSON
    )
    assert service.status_code == 201 and service.json()["team"] == "platform"
    unknown = api.put("/api/v1/services/x", {"name": "X", "team": "nope"}, content_type=JSON)
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["field"] == "team"
    bad = api.put("/api/v1/teams/Bad Slug!", {"name": "X"}, content_type=JSON)
    assert bad.status_code in (404, 422)
    teams = {t["slug"]: t for t in bearer(world.alice).get("/api/v1/teams").json()}
    assert teams["platform"]["services"] == ["gateway"]

    invited = api.post(
        "/api/v1/people",
        {"email": "ops@acme.test", "role": "responder", "team": "platform"},
        content_type=JSON,
    )
    assert invited.status_code == 201 and invited.json()["team"] == "platform"
    person = invited.json()["id"]
    changed = api.patch(
        f"/api/v1/people/{person}", {"role": "admin", "active": False}, content_type=JSON
    )
    assert changed.json()["role"] == "admin" and changed.json()["active"] is False
    wrong = api.post(
        "/api/v1/people", {"email": "not an email", "role": "member"}, content_type=JSON
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "email"
    assert bearer(world.payments_pm).get("/api/v1/people").status_code == 403


def test_the_command_line_adds_teams_and_services(world: World, capsys: Any):
    assert main(["team", "create", "platform", "--name", "Platform", "--org", "acme"]) == 0
    assert (
        main(
            [
                "service",
                "create",
                "gateway",
                "--name",
                "Gateway",
                "--team",
                "platform",
                "--org",
                "acme",
            ]
        )
        == 0
    )
    said = capsys.readouterr().out
    assert "created team platform" in said and "created service gateway, owned by platform" in said
    assert main(["service", "create", "x", "--name", "X", "--team", "nope", "--org", "acme"]) == 1
    assert "team: No team 'nope' in acme." in capsys.readouterr().err


BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: platform
spec:
  type: team
  profile:
    displayName: Platform Team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: gateway
  title: API Gateway
spec:
  type: service
  lifecycle: production
  owner: group:default/platform
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout-web
spec:
  type: website
  lifecycle: production
  owner: payments
---
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: shop
spec:
  owner: platform
"""


def test_a_backstage_catalogue_imports_teams_and_services_again_without_duplicates(
    world: World, tmp_path: Path, capsys: Any
):
    catalogue = tmp_path / "catalog-info.yaml"
    catalogue.write_text(BACKSTAGE)
    assert main(["catalog", "import", str(catalogue), "--org", "acme"]) == 0
    assert "1 teams added" in capsys.readouterr().out
    assert Team.objects.get(organisation=world.org, slug="platform").name == "Platform Team"
    owners = dict(Service.objects.filter(organisation=world.org).values_list("slug", "team__slug"))
    assert owners["gateway"] == "platform" and owners["checkout-web"] == "payments"
    counted = (Team.objects.count(), Service.objects.count())
    assert main(["catalog", "import", str(catalogue), "--org", "acme"]) == 0
    assert (Team.objects.count(), Service.objects.count()) == counted

    listing = tmp_path / "more.csv"
    listing.write_text("kind,slug,name,team\nteam,data,Data\nservice,warehouse,Warehouse,data\n")
    assert main(["catalog", "import", str(listing), "--org", "acme"]) == 0
    assert Service.objects.get(slug="warehouse").team.slug == "data"


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("bad.yaml", "kind: Group\n\tname: x\n", "bad.yaml: line 2: not YAML"),
        (
            "owner.yaml",
            "kind: Component\nmetadata: {name: x}\nspec: {owner: user:jane}\n",
            "owner.yaml: document 1: spec.owner: 'user:jane' is not a Group",
        ),
        (
            "noname.yaml",
            "kind: Group\nmetadata: {}\n",
            "noname.yaml: document 1: metadata.name: required",
        ),
        (
            "orphan.yaml",
            "kind: Component\nmetadata: {name: x}\nspec: {owner: ghosts}\n",
            "orphan.yaml: document 1: team: no team 'ghosts'",
        ),
        (
            "cols.csv",
            "slug,name\nx,X\n",
            "cols.csv: line 1: the columns must be kind,slug,name,team",
        ),
        (
            "kind.csv",
            "kind,slug,name,team\nthing,x,X,\n",
            "kind.csv: line 2: kind: 'thing' is not team or service",
        ),
        ("slug.csv", "kind,slug,name,team\nteam,no spaces!,X,\n", "slug.csv: line 2: slug:"),
        (
            "twice.csv",
            "kind,slug,name,team\nteam,a,A,\nteam,a,B,\n",
            "twice.csv: line 3: team 'a' is also at twice.csv: line 2",
        ),
    ],
)
def test_a_bad_catalogue_is_refused_by_file_and_place_and_nothing_is_written(
    world: World, tmp_path: Path, capsys: Any, name: str, text: str, said: str
):
    good = tmp_path / "good.csv"
    good.write_text("kind,slug,name,team\nteam,fine,Fine,\n")
    bad = tmp_path / name
    bad.write_text(text)
    before = (Team.objects.count(), Service.objects.count())
    assert main(["catalog", "import", str(good), str(bad), "--org", "acme"]) == 1
    err = capsys.readouterr().err
    assert said in err.replace(str(tmp_path) + "/", ""), err
    assert (Team.objects.count(), Service.objects.count()) == before


entity = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["Group", "Component", "System", "", 7]),
        "metadata": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"name": st.one_of(st.text(max_size=70), st.integers())},
                optional={"title": st.text(max_size=250)},
            ),
        ),
        "spec": st.one_of(
            st.none(),
            st.text(max_size=5),
            st.fixed_dictionaries(
                {},
                optional={
                    "owner": st.one_of(
                        st.text(max_size=40),
                        st.sampled_from(["payments", "group:default/payments", "user:x"]),
                    )
                },
            ),
        ),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(entity, max_size=6))
def test_any_catalogue_imports_or_is_refused_cleanly(
    world: World, tmp_path: Path, entities: list[Any]
):
    import yaml

    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump_all(entities, allow_unicode=True))
    before = sorted(Team.objects.values_list("slug", "name")) + sorted(
        Service.objects.values_list("slug", "name", "team__slug")
    )
    try:
        import_catalog([path], world.org)
    except CatalogError as error:
        assert error.problems and all(p.startswith(f"{path}: ") for p in error.problems)
        after = sorted(Team.objects.values_list("slug", "name")) + sorted(
            Service.objects.values_list("slug", "name", "team__slug")
        )
        assert after == before


@pytest.mark.parametrize("bad", ["nul\x00name", "lone \ud800 surrogate"])
def test_text_no_database_can_store_is_refused_by_field(world: World, bad: str):
    api = bearer(world.admin)
    for path, body, field in (
        ("/api/v1/teams/platform", {"name": bad}, "name"),
        ("/api/v1/services/gateway", {"name": bad}, "name"),
    ):
        answer = api.put(path, json.dumps(body), content_type=JSON)
        assert answer.status_code == 422, answer.content
        assert answer.json()["detail"][0]["field"] == field
    invited = api.post(
        "/api/v1/people", json.dumps({"email": "x@acme.test", "name": bad, "role": "member"}),
        content_type=JSON,
    )  # fmt: skip
    assert invited.status_code == 422 and invited.json()["detail"][0]["field"] == "name"
    assert not Team.objects.filter(slug="platform").exists()
