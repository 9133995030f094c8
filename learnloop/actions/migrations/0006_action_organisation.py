from django.db import migrations, models

from learnloop.lib.migrating import copy_from_incident


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
        copy_from_incident("actions.ImprovementAction", "organisation_id", "organisation_id"),
    ]
