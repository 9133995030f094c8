from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from the copy (0006): PostgreSQL refuses to change a table whose deferred
    # foreign-key checks are still pending in the same transaction.
    dependencies = [("analysis", "0006_assignment_organisation")]

    operations = [
        migrations.AlterField(
            model_name="analysisassignment",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                on_delete=models.deletion.CASCADE,
                related_name="+",
                to="accounts.organisation",
            ),
        ),
        migrations.AddIndex(
            model_name="analysisassignment",
            index=models.Index(
                condition=models.Q(("submitted_at__isnull", True)),
                fields=["organisation", "due_at"],
                name="assignment_org_open",
            ),
        ),
    ]
