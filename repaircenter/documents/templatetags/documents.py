from functools import cache

from django import template
from django.contrib.staticfiles import finders
from django.utils.safestring import mark_safe

register = template.Library()


@cache
def _static_text(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise template.TemplateSyntaxError(f"static file not found: {path}")
    with open(found, encoding="utf-8") as handle:
        return handle.read()


@register.simple_tag
def inline_static(path: str) -> str:
    """A static text file's content, for a stored document that must carry its own styles."""
    return mark_safe(_static_text(path))  # noqa: S308 -- our own static file
