from django.urls import path

from learnloop.intake import views

urlpatterns = [
    path("intake/<str:token>/", views.receive, name="intake_receive"),
    path("settings/intake/", views.sources, name="intake_sources"),
    path("settings/intake/<int:pk>/", views.source_detail, name="intake_source"),
    path("settings/intake/deliveries/<int:pk>/", views.delivery_detail, name="intake_delivery"),
    path(
        "settings/intake/deliveries/<int:pk>/replay/",
        views.delivery_replay,
        name="intake_replay",
    ),
]
