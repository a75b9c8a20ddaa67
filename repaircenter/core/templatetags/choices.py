"""`{{ event|label:"channel" }}`: what `event.get_channel_display` shows, for long lists.

Django's get_FOO_display() builds a dict of every choice of the field on each call; on an order
page with a long history that was a quarter of the page's time. Here the dict is made once per
field (its labels stay lazy, so each is translated into the active language when shown)."""

from functools import cache

from django import template

register = template.Library()


@cache
def _labels(model: type, field_name: str) -> dict:
    return dict(model._meta.get_field(field_name).flatchoices)


@register.filter
def label(obj, field_name: str):
    value = getattr(obj, field_name)
    return _labels(type(obj), field_name).get(value, value)
