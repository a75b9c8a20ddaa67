"""The default language, as a model field's default: read when a row is made, so that a center
configured for Russian (REPAIRCENTER_LANGUAGE=ru) needs no migration of its own."""

from django.conf import settings


def default_language() -> str:
    return settings.LANGUAGE_CODE


def current_language() -> str:
    """The language active where the row is made: the page's, for a question asked on it."""
    from django.utils.translation import get_language

    language = get_language()
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
