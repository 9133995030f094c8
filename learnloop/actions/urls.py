from django.urls import path

from learnloop.actions import views

urlpatterns = [
    path("actions/<uuid:uid>/", views.action_detail, name="action_detail"),
    path("actions/<uuid:uid>/status/", views.action_transition, name="action_transition"),
    path("actions/<uuid:uid>/edit/", views.action_edit, name="action_edit"),
    path("incidents/<slug:key>/actions/new/", views.action_new, name="action_new"),
    path("teams/<slug:slug>/backlog/", views.team_backlog, name="team_backlog"),
    path("teams/<slug:slug>/backlog/place/", views.team_backlog_place, name="team_backlog_place"),
]
