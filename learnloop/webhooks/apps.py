from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from learnloop.webhooks import receivers  # noqa: F401 - connects the receiver
