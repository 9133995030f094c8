from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "learnloop.publishing"
    label = "publishing"
    verbose_name = "Publishing channels and deliveries"
