from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "learnloop.portal"
    label = "portal"
    verbose_name = "Portal of published narratives"
