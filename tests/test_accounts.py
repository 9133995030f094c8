from django.utils import timezone

from learnloop.accounts.models import ApiToken, Membership
from learnloop.incidents.services import record_incident
from tests.conftest import World, utc


def test_times_are_shown_in_the_viewers_time_zone(world: World):
    incident = record_incident(world.org, None, title="Late", started_at=utc(2026, 6, 1, 23, 30))
    client = world.client_for(world.alice)
    assert "1 Jun 2026 23:30" in client.get(f"/incidents/{incident.key}/").content.decode()
    client.post(
        "/account/", {"time_zone": "Europe/Berlin", "first_name": "Alice", "last_name": "Analyst"}
    )
    assert "2 Jun 2026 01:30" in client.get(f"/incidents/{incident.key}/").content.decode()


def test_an_unknown_time_zone_is_refused(world: World):
    response = world.client_for(world.alice).post("/account/", {"time_zone": "Mars/Olympus"})
    assert response.status_code == 200
    assert Membership.objects.get(user=world.alice).time_zone == "UTC"


def test_a_new_calendar_address_retires_the_old_one(world: World):
    old = Membership.objects.get(user=world.alice).calendar_token
    world.client_for(world.alice).post("/account/calendar/reset/")
    assert world.client_for(world.alice).get(f"/calendar/{old}.ics").status_code == 404


def test_a_token_is_shown_once_and_revoked_from_the_tokens_page(world: World):
    client = world.client_for(world.alice)
    page = client.post("/account/tokens/", {"name": "script"}).content.decode()
    token = ApiToken.objects.get(user=world.alice)
    assert token.hint in page and "shown only once" in page
    assert token.token_hash not in client.get("/account/tokens/").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()


def test_nobody_revokes_someone_elses_token(world: World):
    token, _ = ApiToken.issue(world.alice, "mine")
    assert (
        world.client_for(world.admin).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    )


def test_production_passwords_are_hashed_with_argon2():
    from learnloop import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_a_token_reads_its_person_and_first_membership_as_the_orm_does(world: World):
    """The token's statement is written by hand: what it reads must equal what the ORM reads,
    field by field (aware datetimes, a membership without a team, the first of several)."""
    world.alice.last_login = utc(2026, 5, 1, 9, 30)
    world.alice.save()
    later = Membership.objects.create(user=world.admin, organisation=world.other_org)
    for user in (world.alice, world.admin):
        _, raw = ApiToken.issue(user, "compare")
        found = ApiToken.authenticate(raw)
        assert found is not None
        memberships = Membership.objects.select_related("user", "organisation", "team")
        expected = memberships.filter(user=user).order_by("id")[0]
        assert found[1] is not None and found[1].pk != later.pk
        pairs = [
            (found[0], expected.user),
            (found[1], expected),
            (found[1].organisation, expected.organisation),
            (found[1].team, expected.team),
        ]
        for read, orm in pairs:
            if orm is None:
                assert read is None
                continue
            fields = [f.attname for f in type(orm)._meta.concrete_fields]
            assert [getattr(read, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert world.alice.last_login is not None and found[0].date_joined.tzinfo is not None
