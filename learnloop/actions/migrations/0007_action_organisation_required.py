from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from the copy (0006): PostgreSQL refuses to change a table whose deferred
    # foreign-key checks are still pending in the same transaction.
    dependencies = [("actions", "0006_action_organisation")]

    operations = [
        migrations.AlterField(
            model_name="improvementaction",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AddIndex(
            model_name="improvementaction",
            index=models.Index(
                fields=["organisation", "status", "idea_at"], name="action_org_status"
            ),
        ),
    ]
