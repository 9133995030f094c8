"""The portal of published narratives, their slides and walkthroughs, and the Atom feeds."""

from django.urls import URLPattern, path

from learnloop.portal import views
from learnloop.portal.feeds import NarrativeFeed

feed = NarrativeFeed()

urlpatterns: list[URLPattern] = [
    path("narratives/", views.portal, name="portal"),
    path("narratives/<slug:key>/", views.narrative_page, name="portal_narrative"),
    path("narratives/<slug:key>/present/", views.present, name="portal_present"),
    path(
        "narratives/<slug:key>/walkthroughs/new/",
        views.walkthrough_new,
        name="portal_walkthrough_new",
    ),
    path(
        "narratives/<slug:key>/walkthroughs/<uuid:uid>/",
        views.walkthrough_detail,
        name="portal_walkthrough",
    ),
    path(
        "narratives/<slug:key>/walkthroughs/<uuid:uid>/invitation.ics",
        views.walkthrough_invitation,
        name="portal_walkthrough_invitation",
    ),
    path("feeds/<str:token>/narratives.atom", feed, name="portal_feed"),
    path("feeds/<str:token>/teams/<slug:team>/narratives.atom", feed, name="portal_team_feed"),
]
