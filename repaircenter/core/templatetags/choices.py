"""`{{ event|label:"channel" }}`: what `event.get_channel_display` shows, for long lists.

Django's get_FOO_display() builds a dict of every choice of the field on each call; on an order
page with a long history that was a quarter of the page's time. Here the dict is made once per
field and language, its labels translated then (a lazy label is translated again each time it
is shown)."""

from functools import cache

from django import template
from django.utils import translation

register = template.Library()


@cache
def _labels(model: type, field_name: str, language: str | None) -> dict:
    with translation.override(language):
        return {value: str(text)
                for value, text in model._meta.get_field(field_name).flatchoices}


@register.filter
def label(obj, field_name: str, language: str | None = None):
    """The label of `obj`'s choice in `language` (the active one when not given)."""
    value = getattr(obj, field_name)
    return _labels(type(obj), field_name,
                   language or translation.get_language()).get(value, value)
