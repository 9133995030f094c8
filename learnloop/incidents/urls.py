from django.urls import path

from learnloop.incidents import views

urlpatterns = [
    path("settings/policy/", views.policy_edit, name="policy_edit"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<slug:key>/", views.incident_detail, name="incident_detail"),
    path("incidents/<slug:key>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<slug:key>/similar/", views.incident_similar, name="incident_similar"),
    path("incidents/<slug:key>/decide/", views.incident_decide, name="incident_decide"),
    path(
        "incidents/<slug:key>/responders/",
        views.incident_add_responder,
        name="incident_add_responder",
    ),
]
