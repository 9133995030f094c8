"""Pages of the review: scheduling, the workspace and one URL per step (each step's section polls
its own URL), and the changes people make in the room."""

from django.urls import path

from learnloop.reviews import facilitate_views, timeline_page, views

urlpatterns = [
    path("incidents/<slug:key>/review/schedule/", views.review_schedule, name="review_schedule"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/timeline/", timeline_page.review_timeline, name="review_timeline"),
    path("reviews/<int:pk>/facilitate/", facilitate_views.facilitate, name="review_facilitate"),
    path(
        "reviews/<int:pk>/facilitate/move/",
        facilitate_views.facilitate_move,
        name="review_facilitate_move",
    ),
    path("reviews/<int:pk>/live/", facilitate_views.live_status, name="review_live"),
    path("reviews/<int:pk>/invitation.ics", views.review_ics, name="review_ics"),
    path("reviews/<int:pk>/remind/", views.review_remind, name="review_remind"),
    path("reviews/<int:pk>/mail/send-again/", views.review_send_again, name="review_send_again"),
    path("reviews/<int:pk>/invitees/", views.review_invitee_add, name="review_invitee_add"),
    path(
        "reviews/<int:pk>/invitees/<int:user_id>/remove/",
        views.review_invitee_remove,
        name="review_invitee_remove",
    ),
    path("reviews/<int:pk>/reports/", views.review_reports, name="review_reports"),
    path(
        "reviews/<int:pk>/understanding/", views.review_understanding, name="review_understanding"
    ),
    path("reviews/<int:pk>/perspectives/", views.review_perspectives, name="review_perspectives"),
    path("reviews/<int:pk>/factors/", views.review_factors, name="review_factors"),
    path("reviews/<int:pk>/learnings/", views.review_learnings, name="review_learnings"),
    path("reviews/<int:pk>/narrative/", views.review_narrative, name="review_narrative"),
    path("reviews/<int:pk>/notes/", views.review_note_add, name="review_note_add"),
    path("reviews/<int:pk>/notes/form/", views.review_note_form, name="review_note_form"),
    path("reviews/<int:pk>/factors/form/", views.review_factor_form, name="review_factor_form"),
    path(
        "reviews/<int:pk>/notes/<int:note_id>/remove/",
        views.review_note_remove,
        name="review_note_remove",
    ),
    path("reviews/<int:pk>/factors/add/", views.review_factor_add, name="review_factor_add"),
    path(
        "reviews/<int:pk>/factors/<int:factor_id>/",
        views.review_factor_edit,
        name="review_factor_edit",
    ),
    path(
        "reviews/<int:pk>/factors/<int:factor_id>/remove/",
        views.review_factor_remove,
        name="review_factor_remove",
    ),
    path("reviews/<int:pk>/learnings/add/", views.review_learning_add, name="review_learning_add"),
    path(
        "reviews/<int:pk>/learnings/<int:learning_id>/vote/",
        views.review_vote,
        name="review_vote",
    ),
    path(
        "reviews/<int:pk>/learnings/<int:learning_id>/unvote/",
        views.review_unvote,
        name="review_unvote",
    ),
    path(
        "reviews/<int:pk>/learnings/<int:learning_id>/action/",
        views.review_draft_action,
        name="review_draft_action",
    ),
]
