from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from learnloop.lib import choices

        choices.install()
