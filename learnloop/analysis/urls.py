from django.urls import path

from learnloop.analysis import views

urlpatterns = [
    path("analysis/", views.my_assignments, name="my_assignments"),
    path("analysis/<int:pk>/", views.assignment, name="assignment"),
    path("analysis/<int:pk>/schedule/", views.assignment_schedule, name="assignment_schedule"),
    path("analysis/<int:pk>/invitation.ics", views.assignment_ics, name="assignment_ics"),
    path("analysis/<int:pk>/interviews/", views.interview_add, name="interview_add"),
    path("analysis/<int:pk>/key-events/", views.key_event_add, name="key_event_add"),
    path("analysis/<int:pk>/time/", views.time_add, name="time_add"),
    path("analysis/<int:pk>/report/", views.report_save, name="report_save"),
    path("interviews/<int:pk>/", views.interview_detail, name="interview_detail"),
    path("interviews/<int:pk>/share/", views.interview_share, name="interview_share"),
    path("incidents/<slug:key>/analysts/", views.assignment_add, name="assignment_add"),
    path("themes/", views.theme_list, name="theme_list"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
