from decimal import Decimal

from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils.translation import get_language, to_locale

from repaircenter.core.fastformat import format_money_fast, money_shape

register = template.Library()

# English pages have always written the currency's code after the amount; every other language
# writes money as its own convention has it (CLDR's pattern through Babel: "1 234,50 ₽").
PATTERNS = {"en": "#,##0.00 ¤¤"}


def format_money(amount, language: str | None = None) -> str:
    """An exact amount in the center's currency, written the way `language` (the active one by
    default) writes money: "1,234.50 GBP" in English, "1 234,50 ₽" in Russian."""
    if amount is None or amount == "":
        return ""
    language = language or get_language() or settings.LANGUAGE_CODE
    value = Decimal(amount).quantize(Decimal("0.01"))
    shape = money_shape(language, settings.CURRENCY, babel_money)
    return babel_money(value, language) if shape is None else format_money_fast(value, shape)


def babel_money(value: Decimal, language: str) -> str:
    """Babel's writing of the amount (core/fastformat.py writes the same, faster)."""
    return format_currency(value, settings.CURRENCY, format=PATTERNS.get(language),
                           locale=to_locale(language))


@register.filter
def money(amount) -> str:
    """The amount as `format_money` writes it in the active language."""
    return format_money(amount)
