"""What several migrations do: a child row keeps a value of its incident's, copied once for the
rows written before the column existed."""

from __future__ import annotations

from typing import Any

from django.db import migrations
from django.db.models import OuterRef, Subquery


def copy_from_incident(model: str, column: str, to: str) -> migrations.RunPython:
    """Fills `to` of every row of `model` ("app.Model", with an incident) from its incident's
    `column`, in one statement."""
    app_label, model_name = model.split(".")

    def copy(apps: Any, schema_editor: Any) -> None:
        rows = apps.get_model(app_label, model_name)
        incident = apps.get_model("incidents", "Incident")
        value = incident.objects.filter(pk=OuterRef("incident_id")).values(column)
        rows.objects.update(**{to: Subquery(value[:1])})

    return migrations.RunPython(copy, migrations.RunPython.noop)
