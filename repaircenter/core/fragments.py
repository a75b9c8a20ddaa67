"""What a page draws or reads from rows that never change, kept once made (the staff's order
history, the customer's timeline events and chat messages): in the "fragments" cache
(settings.CACHES), per server, forever. The key names what it was made from (the rows' count
and last id, and the language and time zone when it is text), so a new row makes a new key."""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.template import engines
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from repaircenter.core.jinja_env import JINJA

T = TypeVar("T")


def kept(key: str, make: Callable[[], T]) -> T:
    """What `make()` gives, made the first time `key` is asked for, then kept."""
    fragments = caches["fragments"]
    value = fragments.get(key)
    if value is None:
        value = make()
        fragments.set(key, value, timeout=None)
    return value


def drawing(template: str, values: dict) -> SafeString:
    """The Jinja `template` drawn with `values`, in the active language and time zone."""
    html = engines[JINJA].get_template(template).render(values)
    return mark_safe(html)  # noqa: S308 - drawn by an autoescaping template


def kept_drawing(key: str, template: str, values: Callable[[], dict]) -> SafeString:
    """`drawing(template, values())`, drawn the first time `key` (which names the rows drawn)
    is asked for in the active language and time zone, then kept."""
    key = f"{key}:{translation.get_language()}:{timezone.get_current_timezone_name()}"
    return mark_safe(kept(key, lambda: str(drawing(template, values()))))  # noqa: S308
