from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from learnloop import checks  # noqa: F401 - registers the deployment checks
        from learnloop.lib import choices
        from learnloop.lib.planner import refresh_statistics

        choices.install()
        # Once per migrate (this app's signal): new indexes and tables get their statistics.
        post_migrate.connect(refresh_statistics, sender=self)
