"""`{% jinja "staff/_order_history.html" %}`: a Jinja2 template (core/jinja_env.py) drawn inside a
Django template, with everything the Django template sees (its context, the request's
processors, `csrf_input`)."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from repaircenter.core.jinja_env import JINJA

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, name: str, **extra) -> str:
    values = context.flatten()
    values.update(extra)
    request = values.pop("request", None) or getattr(context, "request", None)
    return mark_safe(engines[JINJA].get_template(name).render(values, request))  # noqa: S308
