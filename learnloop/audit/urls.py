from django.urls import path

from learnloop.audit import views

urlpatterns = [path("settings/audit/", views.audit_trail, name="audit_trail")]
