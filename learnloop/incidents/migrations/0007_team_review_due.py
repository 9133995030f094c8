from django.db import migrations, models


class Migration(migrations.Migration):
    # A product manager's reviews to schedule, read by the team's own entries.
    dependencies = [("incidents", "0006_key_counter")]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                fields=["organisation", "team", "-started_at", "-id"],
                condition=models.Q(of_consequence=True, review_scheduled=False),
                name="incident_team_review_due",
            ),
        ),
    ]
