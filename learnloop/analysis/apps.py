from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.analysis"
    label = "analysis"
