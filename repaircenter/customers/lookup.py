"""Reading the phone numbers people type, and finding the customer behind one."""

import phonenumbers
from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import Expression, RawSQL
from django.db.models.lookups import Contains, PatternLookup

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
    if not _by_phrase(key):
        return Customer.objects.filter(name_key__contains=key)
    return customers_found("phrase", _phrase(key))


def name_lookup(key: str) -> tuple[str, str]:
    """How `customers_named(key)` looks, and the value the database is given for it: ("like",
    the LIKE pattern '%key%' escaped as Django escapes it: a name may hold % or _) or
    ("phrase", SQLite's FTS5 phrase)."""
    if _by_phrase(key):
        return "phrase", _phrase(key)
    return "like", "%" + connection.ops.prep_for_like_query(key) + "%"


def customers_found(how: str, value: str | Expression) -> QuerySet[Customer]:
    """`customers_named`'s look-up given what `name_lookup` gives, the value as the database
    gets it: a kept statement's marker in its place stays as it is (core/statements.py)."""
    if how == "like":
        return Customer.objects.filter(_LikePattern(F("name_key"), value))
    # The phrase is bound as a parameter; the table name is the migration's constant.
    sql = f"SELECT rowid FROM {NAME_TRIGRAMS} WHERE {NAME_TRIGRAMS} MATCH %s"  # noqa: S608
    return Customer.objects.filter(pk__in=RawSQL(sql, [value]))  # noqa: S611


def _by_phrase(key: str) -> bool:
    return len(key) >= TRIGRAM and connection.vendor == "sqlite"


def _phrase(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


class _LikePattern(Contains):
    """`__contains` given its pattern ready made (name_lookup), not made of the value: the same
    SQL (the column's cast, LIKE, SQLite's ESCAPE), and the parameter is the value given, or the
    expression given (core.statements.Unseen) as it is, with no wildcards put around it."""

    def process_rhs(self, compiler, connection):
        return super(PatternLookup, self).process_rhs(compiler, connection)

    def get_rhs_op(self, connection, rhs):
        return connection.operators[self.lookup_name] % rhs
