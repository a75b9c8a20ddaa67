"""The default language, as a model field's default: read when a row is made, so that a center
configured for Russian (REPAIRCENTER_LANGUAGE=ru) needs no migration of its own."""

from django.conf import settings


def default_language() -> str:
    return settings.LANGUAGE_CODE
