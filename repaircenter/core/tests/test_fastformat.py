"""The fast dates, amounts and links (core/fastformat.py) write exactly what Django's `date`
filter, Babel and reverse() write, in every language of the product."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import defaultfilters
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.timezone import template_localtime
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from repaircenter.core.fastformat import fast_reverse, format_date, format_float
from repaircenter.core.templatetags.money import babel_money, format_money

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The named formats and the patterns the templates write.
FORMATS = [None, "DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
           "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT", "TIME_FORMAT", "d M", "d M Y", "d M H:i",
           "d M H:i:s", "j E", r"j \o\f F", "D d M"]
moments = st.datetimes(min_value=datetime.datetime(1990, 1, 1),
                       max_value=datetime.datetime(2090, 12, 31),
                       timezones=st.sampled_from([datetime.UTC, zoneinfo.ZoneInfo("Europe/Moscow"),
                                                  zoneinfo.ZoneInfo("America/New_York")]))


@hypothesis_settings(max_examples=300, deadline=None)
@given(moment=moments, language=st.sampled_from(LANGUAGES), name=st.sampled_from(FORMATS))
def test_a_moment_is_written_as_djangos_date_filter_writes_it(moment, language, name):
    with translation.override(language):
        # A template shows a moment in the current time zone before the filter writes it.
        assert format_date(moment, name) == defaultfilters.date(template_localtime(moment), name)


DAY_FORMATS = [f for f in FORMATS if f is None or ("TIME" not in f and ":" not in f)]


@hypothesis_settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=datetime.date(1990, 1, 1)), language=st.sampled_from(LANGUAGES),
       name=st.sampled_from(DAY_FORMATS))
def test_a_day_is_written_as_djangos_date_filter_writes_it(day, language, name):
    with translation.override(language):
        assert format_date(day, name) == defaultfilters.date(day, name)


def test_a_time_of_day_asked_of_a_day_fails_as_in_django():
    day = datetime.date(2026, 12, 5)
    with pytest.raises(TypeError):
        defaultfilters.date(day, "d M H:i")
    with pytest.raises(TypeError):
        format_date(day, "d M H:i")


def test_nothing_and_not_a_date_are_written_as_django_writes_them():
    assert format_date(None) == "" == format_date("")
    assert format_date("not a date", "d M") == defaultfilters.date("not a date", "d M")


@hypothesis_settings(max_examples=400, deadline=None)
@given(amount=st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"),
                          places=2, allow_nan=False, allow_infinity=False),
       language=st.sampled_from(LANGUAGES))
def test_money_is_written_as_babel_writes_it(amount, language):
    assert format_money(amount, language) == babel_money(amount, language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("amount", ["0", "-0.00", "0.005", "-0.01", "999.995", "1000", "12.3"])
def test_money_edges_are_written_as_babel_writes_them(amount, language):
    value = Decimal(amount).quantize(Decimal("0.01"))
    assert format_money(amount, language) == babel_money(value, language)


def test_a_currency_babel_writes_otherwise_is_left_to_babel(settings):
    settings.CURRENCY = "JPY"  # no minor unit: Babel writes no decimals, the fast path steps back
    assert format_money(Decimal("1234.50"), "en") == babel_money(Decimal("1234.50"), "en")


@pytest.mark.parametrize("name, args", [
    ("staff:order", (1,)), ("staff:order", (123456,)), ("staff:signature", (7, 99)),
    ("staff:home", ()), ("staff:queue", ("ready",)), ("staff:queue", ("to-diagnose",)),
    ("portal:order", ("Qw8N6jJmF7I3uwTMf-SnvCwq_fDUsc-m",)), ("portal:document", ("a-b_C", 12)),
    ("portal:order", ("with space",)), ("portal:order", ("ünï",)), ("portal:order", ("a%2F",)),
    ("portal:order", ("a.b",)), ("staff:order", ("12",)),
])
def test_a_link_is_what_reverse_makes(name, args):
    assert fast_reverse(name, *args) == reverse(name, args=args or None)


@pytest.mark.parametrize("name, value", [
    ("staff:order", -1), ("staff:order", 1234567890),  # not a number the pattern takes
    ("staff:order", "abc"), ("staff:signature", "abc"),  # text where it takes a number
    ("portal:order", ""), ("portal:order", "a/b"),  # not a part of a path
])
def test_a_link_reverse_refuses_is_refused(name, value):
    args = [value] if name != "staff:signature" else [1, value]
    with pytest.raises(NoReverseMatch):
        reverse(name, args=args)
    with pytest.raises(NoReverseMatch):
        fast_reverse(name, *args)


@pytest.mark.parametrize("typed", ["+447700900123", "07700 900456", "+79161234567",
                                   "+12025550143", "+4420", ""])
def test_a_phone_number_is_written_as_as_national_writes_it(typed):
    from phonenumber_field.phonenumber import PhoneNumber

    from repaircenter.core.fastformat import national

    phone = PhoneNumber.from_string(typed, region="GB") if typed else None
    assert national(phone) == (phone.as_national if phone else "")
    assert national(phone) == (phone.as_national if phone else "")  # and once kept


@pytest.mark.parametrize("stored", ["+447700900123", "+79161234567", "+12025550143", "+4420",
                                    "07700 900456", "not a number", "", None])
def test_a_phone_number_read_as_the_text_stored_is_written_as_the_field_would(stored):
    """A list's rows read the customer's phone as the column's text (orders/selectors.py
    row_values): the same as the model field's PhoneNumber, written national."""
    from phonenumber_field.modelfields import PhoneNumberField

    from repaircenter.core.fastformat import national

    phone = PhoneNumberField().from_db_value(stored, None, None)
    assert national(stored) == (phone.as_national if phone else "")
    assert national(stored) == national(phone)


@hypothesis_settings(max_examples=300, deadline=None)
@given(value=st.one_of(moments, st.dates(min_value=datetime.date(1990, 1, 1),
                                         max_value=datetime.date(2090, 12, 31))),
       now=moments, language=st.sampled_from(LANGUAGES))
def test_time_left_is_written_as_djangos_timeuntil_filter_writes_it(value, now, language):
    from repaircenter.core.fastformat import time_until

    with translation.override(language):
        assert time_until(value, now) == defaultfilters.timeuntil_filter(value, now)


ZONES = [datetime.UTC, zoneinfo.ZoneInfo("Europe/Moscow"), zoneinfo.ZoneInfo("America/New_York")]


@hypothesis_settings(max_examples=800, deadline=None)
@given(now=moments, left=st.one_of(
           st.timedeltas(min_value=-datetime.timedelta(days=2),
                         max_value=datetime.timedelta(days=3 * 366)),
           # round numbers of units, and a second or a microsecond either side of them
           st.builds(lambda n, unit, off: n * unit + off, st.integers(0, 14),
                     st.sampled_from([datetime.timedelta(minutes=1), datetime.timedelta(hours=1),
                                      datetime.timedelta(days=1), datetime.timedelta(weeks=1),
                                      datetime.timedelta(days=30), datetime.timedelta(days=365)]),
                     st.sampled_from([datetime.timedelta(0), datetime.timedelta(seconds=1),
                                      -datetime.timedelta(seconds=1),
                                      datetime.timedelta(microseconds=1),
                                      -datetime.timedelta(microseconds=1)]))),
       zone=st.sampled_from(ZONES), language=st.sampled_from(LANGUAGES))
def test_time_left_is_written_as_djangos_timeuntil_writes_it(now, left, zone, language):
    from django.utils import timesince

    from repaircenter.core.fastformat import time_left

    now = now.astimezone(zone)
    value = (now + left).astimezone(zone)
    with translation.override(language):
        assert time_left(value, now, language) == timesince.timeuntil(value, now)


@pytest.mark.parametrize("now, value", [
    ("2027-01-31 10:00", "2027-03-01 09:00"), ("2027-01-31 10:00", "2027-02-28 10:00"),
    ("2028-01-30 10:00", "2028-02-29 11:00"), ("2028-02-29 10:00", "2029-03-01 10:00"),
    ("2026-12-31 23:59", "2027-01-31 23:58"), ("2026-08-31 00:00", "2026-09-30 00:00"),
    ("2026-03-28 12:00", "2026-03-30 12:00"), ("2026-10-24 12:00", "2026-10-26 12:00"),
])
def test_time_left_across_short_months_and_clock_changes(now, value):
    """Days a month lacks, leap days and the nights the clocks change, in each zone."""
    from django.utils import timesince

    from repaircenter.core.fastformat import time_left

    for zone in (*ZONES, zoneinfo.ZoneInfo("Europe/London")):
        start = datetime.datetime.fromisoformat(now).replace(tzinfo=zone)
        end = datetime.datetime.fromisoformat(value).replace(tzinfo=zone)
        for language in LANGUAGES:
            with translation.override(language):
                assert time_left(end, start, language) == timesince.timeuntil(end, start)


def test_time_left_until_now_and_of_nothing_as_in_django():
    import time_machine

    from repaircenter.core.fastformat import time_until

    with time_machine.travel(datetime.datetime(2026, 12, 5, 21, 17, 33, tzinfo=datetime.UTC),
                             tick=False):
        moscow = zoneinfo.ZoneInfo("Europe/Moscow")
        for value in (None, "", datetime.date(2027, 2, 1),
                      datetime.datetime(2026, 12, 9, 8, 0, tzinfo=datetime.UTC),
                      datetime.datetime(2026, 12, 5, 21, 17, 34, tzinfo=datetime.UTC),
                      datetime.datetime(2026, 12, 5, 21, 18, 33, tzinfo=datetime.UTC),
                      datetime.datetime(2026, 12, 19, 21, 17, 32, tzinfo=datetime.UTC),
                      datetime.datetime(2027, 1, 5, 21, 17, 32, tzinfo=datetime.UTC),
                      datetime.datetime(2027, 1, 5, 21, 17, 34, tzinfo=datetime.UTC),
                      datetime.datetime(2027, 1, 2, 9, 0, tzinfo=moscow),
                      datetime.datetime(2026, 11, 30, 9, 0, tzinfo=moscow)):
            for language in LANGUAGES:
                with translation.override(language):
                    assert time_until(value) == defaultfilters.timeuntil_filter(value)


# --- quantities ------------------------------------------------------------------------------

quantities = st.one_of(
    st.decimals(min_value=Decimal("-5"), max_value=Decimal("1500"), places=3, allow_nan=False),
    st.sampled_from([Decimal("0"), Decimal("-0.00"), Decimal("1.000"), Decimal("0.005"),
                     Decimal("999.995"), Decimal("1000"), Decimal("12.50"), Decimal("2E+1")]))


@hypothesis_settings(max_examples=400, deadline=None)
@given(value=quantities, arg=st.sampled_from(["-2", "0", "2", "-1", -2, 3, "-3", "2g", "x",
                                              "-30", 27]),
       language=st.sampled_from(LANGUAGES))
def test_a_quantity_is_written_as_djangos_floatformat_filter_writes_it(value, arg, language):
    with translation.override(language):
        assert format_float(value, arg, language=language) == defaultfilters.floatformat(value,
                                                                                         arg)


@pytest.mark.parametrize("value", [None, "", "abc", 2.5, 7, "3.14159"])
def test_what_is_no_decimal_is_written_as_django_writes_it(value):
    assert format_float(value, "-2") == defaultfilters.floatformat(value, "-2")
