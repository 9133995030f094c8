from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from learnloop import checks  # noqa: F401 - registers the deployment checks
        from learnloop.lib import binding, choices
        from learnloop.lib.planner import after_migrate, without_jit

        choices.install()
        binding.bind_quickly()
        # Once per migrate that ran migrations (this app's signal): new indexes get statistics.
        post_migrate.connect(after_migrate, sender=self)
        connection_created.connect(without_jit)
