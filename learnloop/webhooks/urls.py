from django.urls import path

from learnloop.webhooks import views

urlpatterns = [
    path("settings/events/", views.subscriptions, name="event_subscriptions"),
    path("settings/events/<int:pk>/", views.subscription, name="event_subscription"),
]
