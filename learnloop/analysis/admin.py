from django.contrib import admin

from learnloop.analysis.models import AnalysisAssignment, LearningTheme

# Interviews are deliberately not registered: private notes are not readable through the admin.


@admin.register(LearningTheme)
class LearningThemeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "slug", "organisation"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(AnalysisAssignment)
class AnalysisAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["incident", "analyst", "role", "hours_allocated", "window_start", "due_at"]
    raw_id_fields = ["incident", "analyst"]
