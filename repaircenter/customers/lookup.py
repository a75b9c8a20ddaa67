"""Reading the phone numbers people type, and finding the customer behind one."""

import phonenumbers
from django.conf import settings

from .models import Customer


def normalize_phone(text: str) -> str | None:
    """E.164 form of a typed number ("07700 900123", "+44 7700-900123"), or None if not valid."""
    try:
        number = phonenumbers.parse(text, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_customer_by_phone(text: str) -> Customer | None:
    e164 = normalize_phone(text)
    if e164 is None:
        return None
    return Customer.objects.filter(phone=e164).first()
