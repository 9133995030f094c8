"""Channel settings, tests, and the deliveries of each narrative."""

from django.urls import URLPattern, path

from learnloop.publishing import views

urlpatterns: list[URLPattern] = [
    path("organisation/publishing/", views.org_channels, name="org_channels"),
    path("teams/<slug:slug>/publishing/", views.team_channels, name="team_channels"),
    path("publishing/channels/<int:pk>/", views.channel_edit, name="channel_edit"),
    path("publishing/channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("publishing/channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path(
        "narratives/<slug:key>/deliveries/",
        views.narrative_deliveries,
        name="narrative_deliveries",
    ),
    path("deliveries/<uuid:uid>/send-again/", views.delivery_resend, name="delivery_resend"),
]
