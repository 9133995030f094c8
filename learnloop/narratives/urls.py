from django.urls import path

from learnloop.narratives import views

urlpatterns = [
    path("incidents/<slug:key>/narrative/", views.narrative_edit, name="narrative_edit"),
    path(
        "incidents/<slug:key>/narrative/generate/",
        views.narrative_generate,
        name="narrative_generate",
    ),
    path(
        "incidents/<slug:key>/narrative/preview/", views.narrative_preview, name="narrative_preview"
    ),
    path(
        "incidents/<slug:key>/narrative/history/", views.narrative_history, name="narrative_history"
    ),
    path(
        "incidents/<slug:key>/narrative/versions/<int:number>/",
        views.narrative_version,
        name="narrative_version",
    ),
    path("incidents/<slug:key>/narrative/diff/", views.narrative_diff, name="narrative_diff"),
    path("incidents/<slug:key>/narrative/status/", views.narrative_status, name="narrative_status"),
    path(
        "incidents/<slug:key>/narrative/publish/", views.narrative_publish, name="narrative_publish"
    ),
]
