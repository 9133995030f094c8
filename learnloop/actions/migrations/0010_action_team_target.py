from django.db import migrations, models


class Migration(migrations.Migration):
    # A team's open actions by their target, for a product manager's late actions.
    dependencies = [("actions", "0009_action_target_required")]

    operations = [
        migrations.RemoveIndex(model_name="improvementaction", name="action_team_status"),
        migrations.AddIndex(
            model_name="improvementaction",
            index=models.Index(
                fields=["owner_team", "status", "target_at"], name="action_team_target"
            ),
        ),
    ]
