from django.urls import path

from learnloop.chat import views

urlpatterns = [
    path("analysis/<int:pk>/chat-import/", views.chat_import, name="chat_import"),
    path(
        "analysis/<int:pk>/candidates/<uuid:uid>/promote/",
        views.promote,
        name="candidate_promote",
    ),
    path(
        "analysis/<int:pk>/candidates/<uuid:uid>/dismiss/",
        views.dismiss,
        name="candidate_dismiss",
    ),
]
