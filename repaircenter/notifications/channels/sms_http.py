"""SMS through an HTTP provider: a JSON POST with a bearer token, the number in E.164 and the
text. The provider answers with its id for the message and later calls the delivery-report
endpoint (notifications/views.py), which marks the message delivered or failed."""

import threading

import requests
from django.conf import settings
from django.urls import reverse

from ..sms_segments import count_segments
from . import DeliveryError, Receipt

# Answers that mean the provider will never take this message (a malformed or unknown number).
PERMANENT = {400, 404, 410, 422}


class SmsHttpChannel:
    def __init__(self):
        self.sessions = threading.local()  # one per sending thread: a Session is not shared
        self.report_url = ""

    @property
    def session(self) -> requests.Session:
        session = getattr(self.sessions, "session", None)
        if session is None:
            session = requests.Session()  # keeps the connection open between messages
            # Proxy variables are read once here, not again for every message.
            session.proxies = requests.utils.get_environ_proxies(settings.SMS_API_URL or "")
            session.trust_env = False
            self.sessions.session = session
        return session

    def send(self, message) -> Receipt:
        # A Cyrillic text (any character outside GSM 03.38) goes as UCS-2: the provider is told,
        # so that it neither mangles the letters nor splits the text at GSM-7's 153.
        segments = count_segments(message.body)
        payload = {
            "to": message.recipient,
            "text": message.body,
            "encoding": segments.encoding,
            "segments": segments.count,
            "from": _sender(message),
            "reference": str(message.key),
            "report_url": self.report_url or self._report_url(),
        }
        headers = {
            "Authorization": f"Bearer {settings.SMS_API_TOKEN}",
            # Stable across attempts: a retry after a timeout does not send a second SMS.
            "Idempotency-Key": str(message.key),
        }
        try:
            response = self.session.post(
                settings.SMS_API_URL, json=payload, headers=headers,
                timeout=settings.SMS_TIMEOUT,
            )
        except requests.Timeout as error:
            raise DeliveryError(f"no answer from the provider in {settings.SMS_TIMEOUT} s") \
                from error
        except requests.RequestException as error:
            raise DeliveryError(f"provider unreachable: {error.__class__.__name__}") from error
        answer = f"HTTP {response.status_code} {response.text[:500]}".strip()
        if response.status_code in PERMANENT:
            raise DeliveryError(answer, permanent=True)
        if not response.ok:
            raise DeliveryError(answer)
        try:
            reference = str(response.json().get("id", ""))[:100]
        except (ValueError, AttributeError):
            reference = ""
        return Receipt(delivered=False, answer=answer, provider_ref=reference)

    def _report_url(self) -> str:
        self.report_url = settings.SITE_URL + reverse("sms_report")
        return self.report_url


def _sender(message) -> str:
    """The order's center's sender name, or the chain's (settings) for a message of no order."""
    center = message.order.center if message.order_id else None
    return (center and center.sms_sender) or settings.SMS_SENDER
