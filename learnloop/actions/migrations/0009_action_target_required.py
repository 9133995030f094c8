from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from the fill (0008), as 0007 is apart from 0006.
    dependencies = [("actions", "0008_action_target")]

    operations = [
        migrations.AlterField(
            model_name="improvementaction",
            name="target_at",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="improvementaction",
            index=models.Index(
                fields=["organisation", "status", "target_at"], name="action_org_target"
            ),
        ),
    ]
