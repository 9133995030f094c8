from io import StringIO

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from learnloop.actions.services import add_action
from learnloop.analysis.models import AnalysisAssignment
from learnloop.incidents.models import ResponseRole
from learnloop.incidents.services import policy_for, record_incident
from learnloop.insights.search import search
from tests.conftest import World, utc


def test_every_model_change_has_its_migration(db):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_migrations_give_existing_rows_what_they_keep_of_their_incident(
    world: World, transactional_db
):
    """Rows from before: each action its target by its organisation's own days (actions/0008),
    each analysis period its incident's team (analysis/0008)."""
    idea = utc(2026, 3, 1)

    def action(org, severity):
        ours = org == world.org
        incident = record_incident(
            org,
            None,
            title="Down",
            team=world.payments if ours else None,
            severity=severity,
            responders=[(world.alice if ours else world.outsider, ResponseRole.ON_CALL)],
        )
        return add_action(incident, None, title="Fix", kind="code_fix", idea_at=idea)

    ours, none, theirs = action(world.org, 1), action(world.org, None), action(world.other_org, 1)
    policy = policy_for(world.org)
    policy.action_target_days = {"1": 3}  # a policy that names one severity only
    policy.save()
    executor = MigrationExecutor(connection)
    executor.migrate(
        [
            ("actions", "0007_action_organisation_required"),
            ("analysis", "0007_assignment_organisation_required"),
        ]
    )
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    for found, days in ((ours, 3), (none, 60), (theirs, 15)):  # unnamed days: the policy's 60
        found.refresh_from_db()
        assert (found.target_at - found.idea_at).days == days
    periods = AnalysisAssignment.objects.filter(incident=ours.incident)
    assert [p.incident_team_id for p in periods] == [world.payments.pk]


def test_search_documents_are_indexed_after_their_constraint_changes(
    world: World, transactional_db
):
    """insights/0008 copies the table on SQLite, which then numbers documents from the highest
    id it holds: full-text rows whose document was gone (an organisation deleted before that
    day) are removed first, so a new incident's documents take their ids and are indexed."""
    record_incident(world.org, None, title="Walrus stampede")
    executor = MigrationExecutor(connection)
    executor.migrate([("insights", "0007_narrative_vector")])
    record_incident(world.other_org, None, title="Walrus herd")
    with connection.cursor() as cursor:  # as an organisation's deletion left them
        cursor.execute(
            "DELETE FROM insights_searchdocument WHERE organisation_id = %s", [world.other_org.pk]
        )
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    created = record_incident(world.org, None, title="Walrus again")
    reader = world.org.memberships.get(user__email="pm@acme.test")
    assert {hit.incident_key for hit in search(reader, "walrus")} == {"INC-1", created.key}
