from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from learnloop.incidents.models import ConsequenceDecision, ConsequencePolicy, Incident, Responder
from learnloop.incidents.services import children_follow


class ResponderInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Responder
    extra = 0


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["key", "title", "organisation", "team", "severity", "status", "of_consequence"]
    list_filter = ["organisation", "severity", "status", "of_consequence"]
    search_fields = ["key", "title"]
    inlines = [ResponderInline]
    raw_id_fields = ["team", "service"]

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            children_follow(obj, form.changed_data)


admin.site.register(ConsequencePolicy)


@admin.register(ConsequenceDecision)
class ConsequenceDecisionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["incident", "of_consequence", "by_policy", "decided_by", "created_at"]
    readonly_fields = [
        "incident",
        "of_consequence",
        "by_policy",
        "decided_by",
        "reason",
        "created_at",
    ]
