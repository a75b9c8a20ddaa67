"""Messages in the customer's language: the manager's text in that language, else the built-in
one while nobody changed the default language's, else the default language's (visibly, in the
editor); Cyrillic SMS counted and sent as UCS-2."""

import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import translation

from repaircenter.notifications import delivery, rendering
from repaircenter.notifications.default_templates import DEFAULTS, builtin
from repaircenter.notifications.models import Message, MessageTemplate
from repaircenter.notifications.sms_segments import count_segments
from repaircenter.orders.models import Status

from .test_rendering import ORDER_EVENTS, realistic  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

TEMPLATES = "/admin/notifications/messagetemplate/"


@pytest.fixture
def russian(customer):
    customer.language = "ru"
    customer.save()
    return customer


def message(order, event, channel="sms") -> Message:
    return Message.objects.get(order=order, event=event, channel=channel)


def test_a_russian_customer_gets_russian_messages_with_russian_money_and_dates(
    russian, make_order
):
    order = make_order(Status.AWAITING_DECISION)
    sms = message(order, "estimate_ready")
    assert sms.body.startswith(f"Смета по заказу {order.display_number}: 45,00\xa0£.")
    assert re.search(r"Решение до \d{1,2} [а-я]+ \d{4} г\.:", sms.body), sms.body
    russian.preferred_channels = ["email", "sms"]
    russian.save()
    order = make_order(Status.RECEIVED)
    email = message(order, "order_received", "email")
    assert email.subject == f"Мы приняли Телефон Samsung Galaxy S23: заказ {order.display_number}"
    assert email.body.startswith("Здравствуйте, Alice Brown!")


def test_an_english_customer_is_not_affected(customer, make_order):
    order = make_order(Status.AWAITING_DECISION)
    assert message(order, "estimate_ready").body.startswith(
        f"Estimate for order {order.display_number}: 45.00 GBP.")


def test_the_managers_russian_text_is_used_for_russian_customers_only(russian, make_order):
    MessageTemplate.objects.create(event="order_received", channel="sms", language="ru",
                                   body="Заказ {{ order.number }} у нас.")
    order = make_order(Status.RECEIVED)
    sms = message(order, "order_received")
    assert sms.body == f"Заказ {order.display_number} у нас."
    assert sms.template.language == "ru"
    russian.language = "en"
    russian.save()
    second = make_order(Status.RECEIVED)
    assert message(second, "order_received").body.startswith("Repair Center: we have your")


def test_a_changed_default_text_without_its_russian_is_the_fallback(russian, make_order):
    MessageTemplate.objects.filter(event="order_received", channel="sms", language="en").update(
        body="Got it: {{ order.number }}.")
    order = make_order(Status.RECEIVED)
    sms = message(order, "order_received")
    assert sms.body == f"Got it: {order.display_number}."  # the manager's, in English


@pytest.fixture
def admin_manager(manager):
    manager.is_staff = True
    manager.save()
    return manager


def languages_box(client, template) -> str:
    page = client.get(f"{TEMPLATES}{template.pk}/change/").content.decode()
    box = re.search(r'id="template-languages".*?</div>', page, re.DOTALL).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", box).split())


def test_the_editor_shows_the_languages_of_a_text_and_the_fallback(admin_manager, client):
    client.force_login(admin_manager)
    sms = MessageTemplate.objects.get(event="order_received", channel="sms", language="en")
    assert "English : this page (default language)" in languages_box(client, sms)
    assert ("Русский: not written: customers who read it get the built-in text in their "
            "language") in languages_box(client, sms)
    MessageTemplate.objects.filter(pk=sms.pk).update(body="Got it: {{ order.number }}.")
    assert ("Русский: not written: customers who read it get the default language's text"
            in languages_box(client, sms))
    russian = MessageTemplate.objects.create(event="order_received", channel="sms",
                                             language="ru", body="Заказ {{ order.number }}.")
    assert "Русский : written" in languages_box(client, sms)
    assert "Русский : this page" in languages_box(client, russian)


def test_the_list_shows_and_filters_by_language(admin_manager, client):
    client.force_login(admin_manager)
    MessageTemplate.objects.create(event="order_received", channel="sms", language="ru",
                                   body="Заказ {{ order.number }}.")
    page = client.get(TEMPLATES, {"language": "ru"}).content.decode()
    assert page.count('<td class="field-language">') == 1


def test_writing_the_missing_languages_makes_the_russian_rows_once(admin_manager, client):
    client.force_login(admin_manager)
    chosen = MessageTemplate.objects.filter(event="estimate_ready")
    data = {"action": "write_missing_languages",
            ACTION_CHECKBOX_NAME: [str(pk) for pk in chosen.values_list("pk", flat=True)]}
    client.post(TEMPLATES, data)
    made = MessageTemplate.objects.filter(event="estimate_ready", language="ru")
    assert made.count() == 3
    sms = made.get(channel="sms")
    assert (sms.subject, sms.body) == builtin("estimate_ready", "sms", "ru")
    assert sms.body.startswith("Смета по заказу")
    client.post(TEMPLATES, data)  # again: nothing more
    assert MessageTemplate.objects.filter(language="ru").count() == 3
    assert MessageTemplate.objects.filter(language="en").count() == len(DEFAULTS)


def test_restoring_a_russian_row_restores_the_russian_built_in(admin_manager, client):
    client.force_login(admin_manager)
    row = MessageTemplate.objects.create(event="order_received", channel="sms", language="ru",
                                         body="Своё.")
    client.post(TEMPLATES, {"action": "restore_defaults", ACTION_CHECKBOX_NAME: [str(row.pk)]})
    row.refresh_from_db()
    assert row.body == builtin("order_received", "sms", "ru")[1]


# --- SMS segments in Cyrillic ------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("я" * 70, ("UCS-2", 70, 1, 70)),
        ("я" * 71, ("UCS-2", 71, 2, 67)),
        ("я" * 134, ("UCS-2", 134, 2, 67)),
        ("я" * 135, ("UCS-2", 135, 3, 67)),
        ("Заказ R-000016 готов", ("UCS-2", 20, 1, 70)),
        # One Cyrillic letter in a Latin text makes all of it UCS-2.
        ("a" * 69 + "ж", ("UCS-2", 70, 1, 70)),
        ("a" * 70 + "ж", ("UCS-2", 71, 2, 67)),
    ],
)
def test_cyrillic_is_ucs2_seventy_a_segment_sixty_seven_joined(text, expected):
    result = count_segments(text)
    assert (result.encoding, result.units, result.count, result.per_segment) == expected


def test_the_segment_count_reads_in_russian():
    with translation.override("ru"):
        assert str(count_segments("я" * 71)) == "2 сегмента (UCS-2, 71 символов, по 67 в сегменте)"
        assert str(count_segments("я" * 10)) == "1 сегмент (UCS-2, 10 из 70 символов)"


@pytest.mark.parametrize("event", ORDER_EVENTS)
def test_every_russian_sms_fits_three_segments_for_a_realistic_order(event, realistic):  # noqa: F811
    order, _ = realistic(event)
    with translation.override("ru"):
        context = rendering.order_context(order)
        subject, body = builtin(event, "sms", "ru")
        text = rendering.render(subject, body, context, "sms").body
    assert order.display_number in text
    result = count_segments(text)
    assert result.encoding == "UCS-2"
    assert result.count <= 3, f"{result}: {text}"


def test_the_provider_is_told_the_encoding_and_the_segments(sms_provider, russian, make_order,
                                                           customer):
    order = make_order(Status.RECEIVED)
    sms = message(order, "order_received")
    assert delivery.run_round() == 1
    [request] = sms_provider.requests
    payload = request["payload"]
    assert payload["text"] == sms.body
    assert payload["encoding"] == "UCS-2"
    assert payload["segments"] == count_segments(sms.body).count >= 2


def test_an_english_sms_goes_as_gsm7(sms_provider, customer, make_order):
    order = make_order(Status.RECEIVED)
    assert delivery.run_round() == 1
    payload = sms_provider.requests[0]["payload"]
    assert (payload["encoding"], payload["segments"]) == ("GSM-7", 1)
    assert payload["text"] == message(order, "order_received").body


# --- answers to questions ----------------------------------------------------------------------

def test_a_visitor_on_the_russian_site_is_answered_in_russian(client, consultant):
    from repaircenter.consult import services as consult
    from repaircenter.consult.models import AdviceRequest
    from repaircenter.portal.tests.test_advice_form import ADVICE, question

    client.post(ADVICE, question(), HTTP_ACCEPT_LANGUAGE="ru-RU,ru")
    client.post(ADVICE, question(email="eve@example.com"), HTTP_ACCEPT_LANGUAGE="en")
    russian, english = AdviceRequest.objects.order_by("pk")
    assert (russian.language, english.language) == ("ru", "en")
    for advice in (russian, english):
        consult.answer_advice(advice=advice, user=consultant, answer="Почистите вентилятор.")
    to_russian = Message.objects.get(advice=russian)
    assert to_russian.subject == "Ваш вопрос в Repair Center"
    assert to_russian.body.startswith("Здравствуйте, Sam Ortiz!")
    assert Message.objects.get(advice=english).subject == "Your question to Repair Center"
