from django.urls import path

from learnloop.insights import views

urlpatterns = [
    path("measures/", views.measures, name="measures"),
    path("search/", views.search_page, name="search"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme_detail"),
    path("names/person/", views.suggested_people, name="suggested_people"),
    path("names/<str:kind>/", views.suggested_names, name="suggested_names"),
]
