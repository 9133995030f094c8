from django.apps import AppConfig


class Config(AppConfig):
    name = "learnloop.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from learnloop import checks  # noqa: F401 - registers the deployment checks
        from learnloop.lib import binding, choices, moments
        from learnloop.lib.planner import after_migrate, for_short_queries

        choices.install()
        binding.bind_quickly()
        if moments.holds_utc(connections[DEFAULT_DB_ALIAS]):
            binding.read_moments_as_utc()
        # Once per migrate that ran migrations (this app's signal): new indexes get statistics.
        post_migrate.connect(after_migrate, sender=self)
        connection_created.connect(for_short_queries)
