from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.intake"
    label = "intake"
