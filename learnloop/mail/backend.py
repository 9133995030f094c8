"""Django's SMTP backend, trusting the certificate authority LEARNLOOP_SMTP_CA_FILE names (a
company's own mail server often has a certificate from the company's own authority)."""

from __future__ import annotations

import ssl
from functools import cached_property

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend


class SmtpBackend(EmailBackend):
    @cached_property
    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=settings.SMTP_CA_FILE or None)
        if self.ssl_certfile:
            context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
        return context
