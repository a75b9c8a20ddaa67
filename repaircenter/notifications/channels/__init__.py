"""The classes that send messages, one module each (console, email, sms_http, phone_call).

The channels themselves are declared in customers/channels.py; settings.CHANNEL_CLASSES names
these classes by backend, and settings.NOTIFICATION_CHANNELS says which class serves each
channel that is switched on. Each class has one method, send(message), which returns a Receipt
or raises DeliveryError."""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string


class DeliveryError(Exception):
    """The message did not go. Permanent: trying again cannot help (a rejected number or address);
    otherwise the worker tries again later."""

    def __init__(self, answer: str, *, permanent: bool = False):
        super().__init__(answer)
        self.answer = answer
        self.permanent = permanent


@dataclass(frozen=True)
class Receipt:
    """What a channel did with a message. `delivered`: it reached the customer (an SMTP server
    accepted the email); otherwise it was handed on (an SMS provider took it and will report)."""

    delivered: bool
    answer: str = ""
    provider_ref: str = ""


@cache
def channel_for(name: str):
    """The channel object that delivers `name`, or None when that channel is switched off."""
    path = settings.NOTIFICATION_CHANNELS.get(name)
    return import_string(path)() if path else None


def enabled(name: str) -> bool:
    return name in settings.NOTIFICATION_CHANNELS


def _forget_channels(*, setting, **kwargs):
    if setting in ("NOTIFICATION_CHANNELS", "SMS_API_URL", "SMS_TIMEOUT"):
        channel_for.cache_clear()


setting_changed.connect(_forget_channels)
