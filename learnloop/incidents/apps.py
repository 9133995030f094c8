from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.incidents"
    label = "incidents"
