from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_organisations(apps, schema_editor):
    """Each analysis period takes its incident's organisation (one statement)."""
    assignment = apps.get_model("analysis", "AnalysisAssignment")
    incident = apps.get_model("incidents", "Incident")
    owner = incident.objects.filter(pk=OuterRef("incident_id")).values("organisation_id")
    assignment.objects.update(organisation_id=Subquery(owner[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_last_home_at"),
        ("incidents", "0006_key_counter"),
        ("analysis", "0005_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="analysisassignment",
            name="organisation",
            field=models.ForeignKey(
                null=True,
                editable=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.RunPython(copy_organisations, migrations.RunPython.noop),
    ]
