from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_organisations(apps, schema_editor):
    """Each action takes its incident's organisation (one statement)."""
    action = apps.get_model("actions", "ImprovementAction")
    incident = apps.get_model("incidents", "Incident")
    owner = incident.objects.filter(pk=OuterRef("incident_id")).values("organisation_id")
    action.objects.update(organisation_id=Subquery(owner[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_last_home_at"),
        ("incidents", "0006_key_counter"),
        ("actions", "0005_constraint_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="improvementaction",
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
