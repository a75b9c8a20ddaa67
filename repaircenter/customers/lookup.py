"""Reading the phone numbers people type, and finding the customer behind one."""

import phonenumbers
from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from .models import Customer

NAME_TRIGRAMS = "customers_customer_name_trigrams"  # SQLite: see migration 0002


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


# Fewer letters than a trigram: no index can help, the names are scanned (rare at a counter).
TRIGRAM = 3


def customers_named(key: str) -> QuerySet[Customer]:
    """Customers whose folded name (`name_search_key`) contains `key`, through the trigram index
    of each database (migration customers 0002): PostgreSQL's pg_trgm GIN index answers LIKE
    '%key%' itself; SQLite's FTS5 trigram table answers a phrase query, which matches any
    substring of three letters or more."""
    if len(key) < TRIGRAM or connection.vendor != "sqlite":
        return Customer.objects.filter(name_key__contains=key)
    phrase = '"' + key.replace('"', '""') + '"'
    # The phrase is bound as a parameter; the table name is the migration's constant.
    sql = f"SELECT rowid FROM {NAME_TRIGRAMS} WHERE {NAME_TRIGRAMS} MATCH %s"  # noqa: S608
    return Customer.objects.filter(pk__in=RawSQL(sql, [phrase]))  # noqa: S611
