from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from learnloop import checks  # noqa: F401 - registers the deployment checks
        from learnloop.lib import choices

        choices.install()
