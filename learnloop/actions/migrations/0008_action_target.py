from django.db import migrations, models

from learnloop.actions.targets import retarget
from learnloop.incidents.models import ConsequencePolicy as Policy


def aim_every_action(apps, schema_editor):
    """Each action's target by its organisation's policy (the defaults where it has none), a
    few statements per organisation."""
    action = apps.get_model("actions", "ImprovementAction")
    organisation = apps.get_model("accounts", "Organisation")
    policy = apps.get_model("incidents", "ConsequencePolicy")
    days = dict(policy.objects.values_list("organisation_id", "action_target_days"))
    for org_id in organisation.objects.values_list("pk", flat=True):
        # The policy's rule (target_days_for) on its stored days; the model is not saved.
        given = Policy(action_target_days=days.get(org_id, Policy().action_target_days))
        retarget(action.objects.filter(organisation_id=org_id), given.target_days_for)


class Migration(migrations.Migration):
    dependencies = [
        ("actions", "0007_action_organisation_required"),
        ("incidents", "0006_key_counter"),
    ]

    operations = [
        migrations.AddField(
            model_name="improvementaction",
            name="target_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(aim_every_action, migrations.RunPython.noop),
    ]
