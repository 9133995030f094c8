"""Search answers only what the person may see: each document records whose analysis it is.
Documents already indexed get it here, so no analyst's key event stays visible to everyone."""

from typing import Any

from django.db import migrations, models


def restrict_existing(apps: Any, schema_editor: Any) -> None:
    SearchDocument = apps.get_model("insights", "SearchDocument")
    KeyEvent = apps.get_model("analysis", "KeyEvent")
    owners: dict[tuple[int, int | None], list[str]] = {}
    analysts = KeyEvent.objects.filter(assignment__isnull=False).values_list(
        "uid", "assignment__analyst_id", "incident__team_id"
    )
    for uid, analyst_id, team_id in analysts.iterator(chunk_size=5000):
        owners.setdefault((analyst_id, team_id), []).append(str(uid))
    for (analyst_id, team_id), refs in owners.items():
        for start in range(0, len(refs), 500):
            SearchDocument.objects.filter(
                kind="key_event", ref__in=refs[start : start + 500]
            ).update(analyst_id=analyst_id, incident_team_id=team_id)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0002_fulltext"),
        ("analysis", "0002_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="IndexBacklog",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("incident_id", models.BigIntegerField(unique=True)),
                ("queued_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="analyst_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="searchdocument",
            name="incident_team_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(restrict_existing, migrations.RunPython.noop),
    ]
