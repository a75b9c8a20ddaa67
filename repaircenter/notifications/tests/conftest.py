"""Real peers for the channel tests: an SMTP server (aiosmtpd) and a stand-in SMS provider, both
on 127.0.0.1, and settings that point the channels at them."""

import socket
from email import message_from_bytes, policy

import pytest

from repaircenter.notifications.testing import FakeSmsProvider

REPORT_SECRET = "report-secret-for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpInbox:
    """What the SMTP server received; addresses in `refuse` get 550 at RCPT, and `defer` 451."""

    def __init__(self):
        self.envelopes = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        if address in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def parsed(self, index: int = -1):
        return message_from_bytes(self.envelopes[index].original_content, policy=policy.default)


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1; the email channel is switched to SMTP and pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.NOTIFICATION_CHANNELS = {
        **settings.NOTIFICATION_CHANNELS,
        "email": settings.CHANNEL_CLASSES["smtp"],
    }
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def sms_provider(settings):
    """The stand-in SMS provider on 127.0.0.1; the SMS channel is switched to HTTP and pointed
    at it, with a short timeout and a report secret."""
    with FakeSmsProvider("provider-token", hang_seconds=3) as provider:
        settings.SMS_API_URL = provider.url
        settings.SMS_API_TOKEN = "provider-token"
        settings.SMS_TIMEOUT = 1
        settings.SMS_REPORT_SECRET = REPORT_SECRET
        settings.NOTIFICATION_CHANNELS = {
            **settings.NOTIFICATION_CHANNELS,
            "sms": settings.CHANNEL_CLASSES["http"],
        }
        yield provider
