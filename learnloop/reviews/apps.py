from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.reviews"
    label = "reviews"
