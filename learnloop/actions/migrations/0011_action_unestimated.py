from django.db import migrations, models


class Migration(migrations.Migration):
    # The homes' actions without a cost of delay or an estimate, by their own few entries.
    dependencies = [("actions", "0010_action_team_target")]

    operations = [
        migrations.AddIndex(
            model_name="improvementaction",
            index=models.Index(
                fields=["organisation", "-idea_at"],
                condition=models.Q(cost_of_delay_per_week__isnull=True)
                | models.Q(estimate_weeks__isnull=True),
                name="action_unestimated",
            ),
        ),
    ]
