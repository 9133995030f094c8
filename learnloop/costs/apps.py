from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.costs"
    label = "costs"
