from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "learnloop.publishing"
    label = "publishing"
    verbose_name = "Publishing channels and deliveries"

    def ready(self) -> None:
        from learnloop.narratives.signals import narrative_published
        from learnloop.publishing.receivers import on_narrative_published

        narrative_published.connect(on_narrative_published, dispatch_uid="publishing-deliveries")
