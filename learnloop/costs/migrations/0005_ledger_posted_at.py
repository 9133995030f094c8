"""When each organisation's ledger was last posted: the cost pages say so, since the worker
posts it (costs/tasks.py), not the pages."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('costs', '0004_ledger_month'),
    ]

    operations = [
        migrations.AddField(
            model_name='costsettings',
            name='ledger_posted_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
