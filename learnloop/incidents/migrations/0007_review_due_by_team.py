from django.db import migrations, models


class Migration(migrations.Migration):
    # The team too, for a product manager's reviews to schedule.
    dependencies = [("incidents", "0006_key_counter")]

    operations = [
        migrations.RemoveIndex(model_name="incident", name="incident_review_due"),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["organisation", "team", "-started_at", "-id"],
                condition=models.Q(of_consequence=True, review_scheduled=False),
                name="incident_review_due",
            ),
        ),
    ]
