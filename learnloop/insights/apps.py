from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.insights"
    label = "insights"

    def ready(self) -> None:
        from learnloop.insights import signals  # noqa: F401 - connects the index updates
