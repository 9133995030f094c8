from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"
