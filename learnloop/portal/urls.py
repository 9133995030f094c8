"""Pages of this app; filled in by its views."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
