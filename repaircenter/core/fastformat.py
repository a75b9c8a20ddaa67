"""Dates, money and links written as Django and Babel write them, many times faster: a page
with a hundred rows writes some four hundred dates, amounts and links, and the general-purpose
functions (dateformat re-reads its pattern, Babel parses its pattern and locale, reverse() walks
the URL patterns) were a quarter of such a page's time. Each fast path works out once, per
language, what the slow function would write, and falls back to it for anything unusual; the
tests compare both over many values (core/tests/test_fastformat.py)."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache

from django.conf import settings
from django.template import defaultfilters
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import dates, timesince, translation
from django.utils.formats import get_format
from django.utils.timezone import template_localtime

# --- dates: Django's `date` filter ------------------------------------------------------------

# The specifiers Django's dateformat knows (django/utils/dateformat.py): any other letter is
# written as it is.
DJANGO_SPECIFIERS = frozenset("aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ")
TIME_SPECIFIERS = frozenset("HGis")
FIELDS = {
    "d": lambda v, names: f"{v.day:02d}",
    "j": lambda v, names: str(v.day),
    "m": lambda v, names: f"{v.month:02d}",
    "n": lambda v, names: str(v.month),
    "M": lambda v, names: names["M"][v.month],
    "F": lambda v, names: names["F"][v.month],
    "E": lambda v, names: names["E"][v.month],
    "Y": lambda v, names: f"{v.year:04d}",
    "y": lambda v, names: f"{v.year % 100:02d}",
    "H": lambda v, names: f"{v.hour:02d}",
    "G": lambda v, names: str(v.hour),
    "i": lambda v, names: f"{v.minute:02d}",
    "s": lambda v, names: f"{v.second:02d}",
}


@cache
def _pieces(pattern: str) -> tuple | None:
    """The pattern as literal strings and field writers; None if it uses a specifier this
    module does not write (Django's own function writes it then)."""
    pieces, escaped = [], False
    for char in pattern:
        if escaped:
            pieces.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in FIELDS:
            pieces.append(FIELDS[char])
        elif char in DJANGO_SPECIFIERS:
            return None
        else:
            pieces.append(char)
    return tuple(pieces)


@cache
def _pattern(language: str, format_name: str) -> tuple[str, tuple | None]:
    """The language's pattern for a named format (or the pattern itself), and its pieces."""
    with translation.override(language):
        pattern = get_format(format_name)
    return pattern, _pieces(pattern)


@cache
def _month_names(language: str) -> dict:
    with translation.override(language):
        return {
            "M": {m: str(name).title() for m, name in dates.MONTHS_3.items()},
            "F": {m: str(name) for m, name in dates.MONTHS.items()},
            "E": {m: str(name) for m, name in dates.MONTHS_ALT.items()},
        }


def format_date(value, format_name: str | None = None, *, language: str | None = None,
                zone: datetime.tzinfo | None = None) -> str:
    """What `{{ value|date:format_name }}` writes in a Django template; in `language` and the
    time `zone` given (a Jinja page's, worked out once: core/jinja_env.py), else the active
    ones."""
    if value in (None, ""):
        return ""
    if not isinstance(value, datetime.date):
        return defaultfilters.date(value, format_name)
    if zone is None:
        value = template_localtime(value)
    elif (isinstance(value, datetime.datetime) and settings.USE_TZ
          and value.utcoffset() is not None and getattr(value, "convert_to_local_time", True)):
        value = value.astimezone(zone)  # what template_localtime does in the current zone
    language = language or translation.get_language() or "en"
    pattern, pieces = _pattern(language, format_name or "DATE_FORMAT")
    is_moment = isinstance(value, datetime.datetime)
    if pieces is None or (not is_moment and TIME_SPECIFIERS & set(pattern)):
        return defaultfilters.date(value, format_name)
    names = _month_names(language)
    return "".join(piece if isinstance(piece, str) else piece(value, names)
                   for piece in pieces)


# --- quantities: Django's `floatformat` filter ------------------------------------------------


@cache
def _decimal_separator(language: str) -> str:
    with translation.override(language):
        return get_format("DECIMAL_SEPARATOR")


def format_float(value, arg=-1, *, language: str | None = None) -> str:
    """What `{{ value|floatformat:arg }}` writes (a line's quantity), in `language`, else the
    active one: for an amount from 0 to below 1000 (no digit grouping to think of) and up to
    six places (within the default precision of decimals); Django's own filter writes anything
    else."""
    try:
        places = int(arg)
    except (TypeError, ValueError):
        places = None
    if (places is None or abs(places) > 6 or not isinstance(value, Decimal)
            or not value.is_finite() or value.is_signed() or value >= 1000):
        return defaultfilters.floatformat(value, arg)
    if places <= 0 and value == value.to_integral_value():
        return str(int(value))  # a whole number, and places "if any" asked for: none
    written = str(value.quantize(Decimal(1).scaleb(-abs(places)), ROUND_HALF_UP))
    return written.replace(".", _decimal_separator(language or translation.get_language()
                                                   or settings.LANGUAGE_CODE))


# --- money: Babel's format_currency -------------------------------------------------------------

SAMPLE = Decimal("1234567.89")


@cache
def money_shape(language: str, currency: str, slow) -> tuple | None:
    """How `slow` (Babel through core/templatetags/money.py) writes money in `language`: the
    group and decimal separators and what comes before and after a positive and a negative
    amount; None if it does not write two decimals in groups of three (then Babel writes
    every amount)."""
    positive, negative = slow(SAMPLE, language), slow(-SAMPLE, language)
    digits = [c for c in positive if c.isdigit()]
    if "".join(digits) != "123456789":
        return None
    first, last = positive.index("1"), positive.rindex("9")
    body = positive[first:last + 1]  # "1,234,567.89" in the language's separators
    if len(body) != 12 or not (body[1] == body[5] and body[9] not in "0123456789"):
        return None
    group, decimal = body[1], body[9]
    n_first, n_last = negative.index("1"), negative.rindex("9")
    if negative[n_first:n_last + 1] != body:
        return None
    return (group, decimal, positive[:first], positive[last + 1:],
            negative[:n_first], negative[n_last + 1:])


def format_money_fast(value: Decimal, shape: tuple) -> str:
    group, decimal, before, after, minus_before, minus_after = shape
    body = f"{abs(value):,.2f}".replace(",", "\0").replace(".", decimal).replace("\0", group)
    if value.is_signed():  # Babel writes -0.00 with its sign too
        return f"{minus_before}{body}{minus_after}"
    return f"{before}{body}{after}"


# --- phone numbers: django-phonenumber-field's as_national ------------------------------------


@lru_cache(maxsize=20_000)
def _national(typed: str, region: str) -> str:
    from phonenumber_field.phonenumber import PhoneNumber

    return PhoneNumber.from_string(typed, region=region).as_national


def national(phone) -> str:
    """`phone.as_national` (libphonenumber checks the number and picks a pattern for it: a
    tenth of a millisecond), worked out once per number as stored (+ and the country code:
    the same text is always the same number, whatever the region). `phone` is a PhoneNumber or
    the text the column stores (a list's rows read it so, as parsing it is as slow)."""
    typed = phone if isinstance(phone, str) else getattr(phone, "raw_input", "")
    # Tested before `not phone`: a PhoneNumber's truth checks the number all over again.
    if typed and typed.startswith("+"):
        return _national(typed, settings.PHONENUMBER_DEFAULT_REGION or "")
    if isinstance(phone, str):
        from phonenumber_field.phonenumber import to_python

        phone = to_python(phone)  # as the model field reads it
    if not phone:
        return ""
    return phone.as_national


# --- time left: Django's `timeuntil` filter -------------------------------------------------


class _Unit:
    """One of Django's TIME_STRINGS ("%(num)d day"/"%(num)d days") in one language, whose
    `% {"num": n}` is worked out once per number: the lazy ngettext looked up the catalogue
    each time, most of what the filter cost."""

    _written: dict[tuple[str | None, str, int], str] = {}

    def __init__(self, language: str | None, name: str):
        self.language = language
        self.name = name

    def __mod__(self, values: dict) -> str:
        key = (self.language, self.name, values["num"])
        written = self._written.get(key)
        if written is None:
            with translation.override(self.language):
                written = timesince.TIME_STRINGS[self.name] % values
            self._written[key] = written
        return written


@cache
def _units(language: str | None) -> dict[str, _Unit]:
    return {name: _Unit(language, name) for name in timesince.TIME_STRINGS}


def time_until(value, arg=None, *, language: str | None = None) -> str:
    """What `{{ value|timeuntil }}` writes in a Django template ("4 months, 2 weeks"), in
    `language` (else the active one): for a moment, written by `time_left` (Django's own
    words and units, without its lazy translations, which were most of what it cost); for a
    day or against another moment, by Django's function given the units above."""
    if not value:
        return ""
    language = language or translation.get_language()
    if arg is None and isinstance(value, datetime.datetime) and value.utcoffset() is not None:
        return time_left(value, datetime.datetime.now(value.tzinfo), language)
    try:
        return timesince.timeuntil(value, arg, time_strings=_units(language))
    except (ValueError, TypeError):
        return ""


# The units of a time left, largest first; below a month, each a number of seconds.
_UNITS = ("year", "month", "week", "day", "hour", "minute")
_SECONDS = (7 * 24 * 3600, 24 * 3600, 3600, 60)
# Django counts a month from a day that its next month lacks (31 January) to that month's last
# day, and February's last day as the 28th, leap year or not.
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def time_left(value: datetime.datetime, now: datetime.datetime, language: str) -> str:
    """The time from `now` until `value` in the words of Django's timeuntil: whole calendar
    years and months first, then weeks, days, hours, minutes; the largest unit that is not
    nought and the next one if it is not nought either; "0 minutes" once `value` is past.
    `now` is in `value`'s time zone; both are compared by their clocks, as Django does."""
    units = _units(language)
    left = value - now
    if left.days * 86400 + left.seconds <= 0:
        return _unbroken(units["minute"] % {"num": 0})
    months = (value.year - now.year) * 12 + value.month - now.month
    if now.day > value.day or (now.day == value.day and now.time() > value.time()):
        months -= 1  # the last month is not whole yet
    counts = list(divmod(months, 12))
    start = now
    if months:
        year, month = now.year + counts[0], now.month + counts[1]
        if month > 12:
            year, month = year + 1, month - 12
        start = datetime.datetime(year, month, min(_MONTH_DAYS[month - 1], now.day),
                                  now.hour, now.minute, now.second, tzinfo=now.tzinfo)
    remaining = (value - start).total_seconds()
    for seconds in _SECONDS:
        count = int(remaining // seconds)
        counts.append(count)
        remaining -= seconds * count
    first = next((i for i, count in enumerate(counts) if count), None)
    if first is None:
        return _unbroken(units["minute"] % {"num": 0})
    shown = [first] + ([first + 1] if first + 1 < len(counts) and counts[first + 1] else [])
    return _separator(language).join(_unbroken(units[_UNITS[i]] % {"num": counts[i]})
                                     for i in shown)


def _unbroken(words: str) -> str:
    return words.replace(" ", "\xa0")  # as django.utils.html.avoid_wrapping


# Between two units: Django's own words, from Django's catalogue (a name, so that the product's
# catalogue does not take it as one of its own).
DJANGOS_SEPARATOR = ", "


@cache
def _separator(language: str) -> str:
    with translation.override(language):
        return translation.gettext(DJANGOS_SEPARATOR)


# --- links: reverse() for a page of rows ----------------------------------------------------

PLACEHOLDER = 918273640  # digits no real argument has, for int converters
# Text a link may carry as it is (a customer's link token, a slug): letters, digits, "_" and
# "-", which reverse() leaves unquoted and which the str, slug and path converters all take
# (the product registers no converter of its own).
PLAIN_TEXT = re.compile(r"[A-Za-z0-9_-]{1,200}")


@cache
def _url_parts(name: str, kinds: tuple[bool, ...], prefix: str) -> tuple[str, ...] | None:
    """The link's text around its arguments, by whether each is text (True) or a number."""
    placeholders = [f"Zq{PLACEHOLDER + i}" if text else PLACEHOLDER + i
                    for i, text in enumerate(kinds)]
    try:
        url = reverse(name, args=placeholders)
    except NoReverseMatch:
        return None  # e.g. text where the pattern takes a number: reverse() decides
    parts = []
    for placeholder in placeholders:
        before, found, url = url.partition(str(placeholder))
        if not found:
            return None
        parts.append(before)
    return (*parts, url)


def fast_reverse(name: str, *args) -> str:
    """reverse(name, args=args), worked out once per URL name when every argument is a whole
    number (an order's number, an event's id) or plain text (a customer's link), or there is
    none: the rows of a list link to the same pattern, and every staff page's header to the
    same seven pages."""
    kinds = []
    for arg in args:
        # Only numbers no longer than the placeholder, which the pattern took: a longer one may
        # be refused by it, and reverse() says so.
        if type(arg) is int and 0 <= arg < PLACEHOLDER:
            kinds.append(False)
        elif type(arg) is str and PLAIN_TEXT.fullmatch(arg):
            kinds.append(True)
        else:
            return reverse(name, args=args)
    parts = _url_parts(name, tuple(kinds), get_script_prefix())
    if parts is None:
        return reverse(name, args=args or None)
    out = [parts[0]]
    for arg, part in zip(args, parts[1:], strict=True):
        out.append(str(arg))
        out.append(part)
    return "".join(out)
