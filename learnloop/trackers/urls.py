from django.urls import path

from learnloop.trackers import views

urlpatterns = [
    path("teams/<slug:slug>/tracker/", views.tracker_settings, name="tracker_settings"),
    path("actions/<uuid:uid>/push/", views.push_action, name="push_action"),
    path("trackers/webhooks/<slug:org>/<slug:slug>/", views.webhook, name="tracker_webhook"),
]
