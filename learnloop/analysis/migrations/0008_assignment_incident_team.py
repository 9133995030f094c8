from django.db import migrations, models

from learnloop.lib.migrating import copy_from_incident


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_last_home_at"),
        ("analysis", "0007_assignment_organisation_required"),
        ("incidents", "0007_team_review_due"),
    ]

    operations = [
        migrations.AddField(
            model_name="analysisassignment",
            name="incident_team",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to="accounts.team",
            ),
        ),
        migrations.AddIndex(
            model_name="analysisassignment",
            index=models.Index(
                condition=models.Q(submitted_at__isnull=True),
                fields=["incident_team", "due_at"],
                name="assignment_team_open",
            ),
        ),
        copy_from_incident("analysis.AnalysisAssignment", "team_id", "incident_team_id"),
    ]
