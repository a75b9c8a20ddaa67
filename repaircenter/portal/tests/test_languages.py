"""The public site follows the browser's language, with a switch; the customer's order page is
in the customer's language, and its switch changes that language for good (the page, the
messages, the documents made after)."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from repaircenter.core.models import CenterSettings, CenterText
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel, Order, Status

from .conftest import order_url, visible_text

pytestmark = pytest.mark.django_db


def test_the_public_site_follows_accept_language(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    russian = client.get("/", HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")
    assert english["Content-Language"] == "en" and "Free advice" in visible_text(english)
    assert russian["Content-Language"] == "ru"
    text = visible_text(russian)
    assert "Бесплатная консультация" in text and '<html lang="ru">' in russian.content.decode()
    # The built-in welcome, which the manager never changed, in the reader's language.
    assert "Сначала диагностика" in text
    # An unknown language gets the default.
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="xx")["Content-Language"] == "en"


def test_the_switch_sets_the_language_over_the_browsers(client):
    page = client.get("/find/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'name="language" value="ru"' in page.content.decode()  # the switch offers Russian
    answer = client.post(reverse("portal:set_language"), {"language": "ru", "next": "/find/"})
    assert answer.status_code == 302 and answer["Location"] == "/find/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    again = client.get("/find/", HTTP_ACCEPT_LANGUAGE="en")
    assert again["Content-Language"] == "ru"
    assert 'name="language" value="en"' in again.content.decode()  # and now English back


def test_the_switch_refuses_a_foreign_next_and_an_unknown_language(client):
    answer = client.post(reverse("portal:set_language"),
                         {"language": "ru", "next": "https://evil.example/"})
    assert answer["Location"] == "/"
    other = type(client)()
    other.post(reverse("portal:set_language"), {"language": "xx", "next": "/"})
    assert other.get("/")["Content-Language"] == "en"


def test_the_switch_is_a_post_with_the_csrf_token(client):
    checked = type(client)(enforce_csrf_checks=True)
    assert checked.post(reverse("portal:set_language"), {"language": "ru"}).status_code == 403


def test_the_welcome_in_russian_is_the_managers_once_written(client):
    chain = CenterSettings.load()
    chain.intro = "We fix anything."
    chain.save()
    # Changed in English only: Russian readers get the English (the admin says so).
    assert "We fix anything." in visible_text(client.get("/", HTTP_ACCEPT_LANGUAGE="ru"))
    CenterText.objects.create(center_settings=chain, kind="intro", language="ru",
                              text="Чиним всё.")
    assert "Чиним всё." in visible_text(client.get("/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert "We fix anything." in visible_text(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))


def test_the_order_page_is_in_the_customers_language_whatever_the_browser(
    client, make_order, customer
):
    customer.language = "ru"
    customer.save()
    order = make_order(Status.AWAITING_DECISION)
    page = client.get(order_url(order), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert page["Content-Language"] == "ru"
    text = visible_text(page)
    assert "Нужно ваше решение" in text
    assert "45,00" in text and "GBP" not in text  # the money as Russian writes it
    assert "Your decision is needed" not in text


def test_the_order_pages_switch_saves_the_customers_language(client, make_order, customer):
    order = make_order(Status.AWAITING_DECISION)
    assert client.get(order_url(order))["Content-Language"] == "en"
    answer = client.post(order_url(order, "order_language"), {"language": "ru"})
    assert answer.status_code == 302 and answer["Location"] == order_url(order)
    customer.refresh_from_db()
    assert customer.language == "ru"
    # A fresh browser (no cookie) gets Russian too: it is the customer's, not the browser's.
    assert type(client)().get(order_url(order))["Content-Language"] == "ru"


def test_the_order_pages_switch_ignores_an_unknown_language_and_a_get(client, make_order,
                                                                    customer):
    order = make_order(Status.RECEIVED)
    client.post(order_url(order, "order_language"), {"language": "xx"})
    assert client.get(order_url(order, "order_language")).status_code == 405
    customer.refresh_from_db()
    assert customer.language == "en"


def test_the_order_pages_switch_needs_the_link_and_the_csrf_token(client, make_order, customer):
    order = make_order(Status.RECEIVED)
    bad_link = reverse("portal:order_language", args=["x" * 32])
    assert client.post(bad_link, {"language": "ru"}).status_code == 404
    checked = type(client)(enforce_csrf_checks=True)
    assert checked.post(order_url(order, "order_language"), {"language": "ru"}).status_code == 403
    customer.refresh_from_db()
    assert customer.language == "en"


def test_the_customers_language_costs_the_order_page_no_query(
    client, make_order, customer, django_assert_max_num_queries, monkeypatch
):
    from repaircenter.core import ratelimit

    from .test_order_page import ORDER_PAGE_QUERIES

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)  # one window throughout
    customer.language = "ru"
    customer.save()
    order = make_order(Status.AWAITING_DECISION)
    client.get(order_url(order))  # the window's first count
    with django_assert_max_num_queries(ORDER_PAGE_QUERIES):  # its pinned count, no more
        assert client.get(order_url(order))["Content-Language"] == "ru"


@pytest.mark.parametrize(("days", "russian"), [(1, "остался 1 день"), (3, "осталось 3 дня"),
                                               (5, "осталось 5 дней"), (21, "остался 21 день")])
def test_the_days_left_on_the_order_page_follow_the_russian_plural(
    client, make_order, customer, days, russian
):
    customer.language = "ru"
    customer.save()
    awaiting = make_order(Status.AWAITING_DECISION)
    ready = make_order(Status.READY_REPAIRED)
    workflow.start_storage_clock(order=ready, reached_at=timezone.now(), channel=EventChannel.SMS)
    due = timezone.now() + datetime.timedelta(days=days)
    Order.objects.filter(pk=awaiting.pk).update(decision_due=due)
    Order.objects.filter(pk=ready.pk).update(storage_due=due)

    decision = visible_text(client.get(order_url(awaiting)))
    assert f"({russian})." in decision  # "Please decide by … (N days left)."
    assert "около 2 рабочих дней после согласования" in decision  # the estimate's repair time
    storage = visible_text(client.get(order_url(ready)))
    assert f"· {russian}" in storage  # "We keep it until … · N days left"
    assert "day left" not in decision + storage and "days left" not in decision + storage
