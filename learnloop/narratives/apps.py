from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.narratives"
    label = "narratives"
