from django.urls import path

from learnloop.accounts import setup_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("account/", views.profile, name="profile"),
    path("account/calendar/reset/", views.reset_calendar, name="reset_calendar"),
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("settings/sign-in-locks/", views.sign_in_locks, name="sign_in_locks"),
    path("settings/", setup_views.index, name="settings_index"),
    path("settings/teams/", setup_views.teams, name="setup_teams"),
    path("settings/people/", setup_views.people, name="setup_people"),
    path("settings/people/<int:pk>/", setup_views.member_change, name="setup_member"),
]
