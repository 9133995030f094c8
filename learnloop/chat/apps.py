from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.chat"
    label = "chat"
