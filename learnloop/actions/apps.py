from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.actions"
    label = "actions"
