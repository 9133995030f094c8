from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "learnloop.mail"
    label = "mail"
    verbose_name = "Mail sent about reviews and walkthroughs"
