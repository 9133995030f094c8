from django.urls import path

from learnloop.costs import organisation, views

urlpatterns = [
    path("teams/<slug:slug>/costs/", views.team_costs, name="team_costs"),
    path("settings/costs/", views.cost_settings, name="cost_settings"),
    path("costs/", organisation.organisation_costs, name="organisation_costs"),
]
