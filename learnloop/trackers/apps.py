from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.trackers"
    label = "trackers"
