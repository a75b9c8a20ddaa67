"""Money, dates and numbers as the active language writes them: Babel's currency patterns and
Django's formats, never a pattern written by hand in a page. The currency stays the center's."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format, number_format

from repaircenter.core.templatetags.money import format_money, money

NBSP = "\xa0"


@pytest.mark.parametrize(
    "language, amount, expected",
    [
        ("en", "1234.5", "1,234.50 GBP"),
        ("en", "-45", "-45.00 GBP"),
        ("en", "0", "0.00 GBP"),
        ("ru", "1234.5", f"1{NBSP}234,50{NBSP}£"),
        ("ru", "1234567.891", f"1{NBSP}234{NBSP}567,89{NBSP}£"),
        ("ru", "-45", f"-45,00{NBSP}£"),
    ],
)
def test_money_in_each_language(language, amount, expected):
    with translation.override(language):
        assert money(Decimal(amount)) == expected
    assert format_money(Decimal(amount), language) == expected


def test_the_currency_is_the_centers(settings):
    settings.CURRENCY = "RUB"
    assert format_money(Decimal("1234.50"), "ru") == f"1{NBSP}234,50{NBSP}₽"
    assert format_money(Decimal("1234.50"), "en") == "1,234.50 RUB"


def test_no_amount_is_empty():
    assert money(None) == "" and money("") == ""


def test_the_filter_in_a_page_follows_the_active_language():
    page = Template("{% load money %}{{ amount|money }}")
    with translation.override("ru"):
        assert page.render(Context({"amount": Decimal("1234.5")})) == f"1{NBSP}234,50{NBSP}£"


@pytest.mark.parametrize(
    "language, name, expected",
    [
        ("en", "DATE_FORMAT", "5 December 2026"),
        ("ru", "DATE_FORMAT", "5 декабря 2026 г."),
        ("en", "DATETIME_FORMAT", "5 December 2026, 14:30"),
        ("ru", "DATETIME_FORMAT", "5 декабря 2026 г., 14:30"),
        ("en", "SHORT_DATE_FORMAT", "05 Dec 2026"),
        ("ru", "SHORT_DATE_FORMAT", "05.12.2026"),
        ("en", "SHORT_DATETIME_FORMAT", "05 Dec 2026 14:30"),
        ("ru", "SHORT_DATETIME_FORMAT", "05.12.2026 14:30"),
        ("ru", "MONTH_DAY_FORMAT", "5 декабря"),
        ("ru", "YEAR_MONTH_FORMAT", "Декабрь 2026"),
    ],
)
def test_dates_in_each_language(language, name, expected):
    moment = datetime.datetime(2026, 12, 5, 14, 30)
    with translation.override(language):
        assert date_format(moment, name) == expected


def test_numbers_in_russian():
    with translation.override("ru"):
        assert number_format(Decimal("1234.5"), 1, force_grouping=True) == f"1{NBSP}234,5"
