"""A search document is unique within its incident, and one index does the work of two.

The unique (organisation, kind, ref) refused two incidents whose keys share their first 64
characters (an incident's document keeps 64 of them in `ref`): an import of two such reports
stopped on a database error. (organisation, incident_key, kind, ref) is unique where that was,
and its first two columns find an incident's documents, as the index it replaces did. Building
it reads every document once: seconds at 2 million documents."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_membership_last_home_at"),
        ("insights", "0007_narrative_vector"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="searchdocument",
            constraint=models.UniqueConstraint(
                fields=("organisation", "incident_key", "kind", "ref"),
                name="search_doc_of_incident",
            ),
        ),
        migrations.RemoveConstraint(model_name="searchdocument", name="search_doc_unique"),
        migrations.RemoveIndex(model_name="searchdocument", name="search_doc_incident"),
    ]
