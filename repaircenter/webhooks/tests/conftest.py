"""A real receiver on 127.0.0.1 (webhooks/testing.py), an endpoint pointed at it, and short
timeouts; the SMTP server of the notification tests for the managers' notice."""

import datetime

import pytest
from django.utils import timezone

from repaircenter.notifications.tests.conftest import smtp_server  # noqa: F401 — a fixture
from repaircenter.webhooks.models import Delivery, Endpoint, EventType
from repaircenter.webhooks.testing import FakeReceiver

SECRET = "whsec-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 1
    settings.WEBHOOK_RETRY_BASE = 30
    settings.WEBHOOK_RETRY_MAX = 3600
    settings.WEBHOOK_RETRY_WINDOW = 24 * 3600
    settings.WEBHOOK_LEASE = 60


@pytest.fixture
def receiver():
    with FakeReceiver(SECRET, hang_seconds=2) as fake:
        yield fake


@pytest.fixture
def endpoint(db, receiver, manager):
    """An endpoint subscribed to every event, at the receiver."""
    return Endpoint.objects.create(url=receiver.url, secret=SECRET, events=list(EventType.values),
                                   created_by=manager)


def subscribe(url: str, *events: str, secret: str = SECRET) -> Endpoint:
    return Endpoint.objects.create(url=url, secret=secret, events=list(events))


def due_now(*deliveries: Delivery) -> None:
    """Skip the backoff wait."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1))
