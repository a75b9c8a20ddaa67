from decimal import Decimal

from django import template
from django.conf import settings

register = template.Library()


@register.filter
def money(amount) -> str:
    """An exact amount with two decimals and the center's currency: "1,234.50 GBP"."""
    if amount is None or amount == "":
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    return f"{value:,.2f} {settings.CURRENCY}"
