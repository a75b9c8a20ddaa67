"""One order in Russian from the counter to the handover, in Debian's Chromium: the
receptionist (whose profile says Russian) takes the phone in for a customer who reads Russian;
the customer, on their phone, whose browser asks for English, follows their order in Russian and
approves the estimate; the receptionist issues it against the pickup code. The customer's page
on the phone and the warranty card's PDF are saved as pictures to look at.

    SCREENSHOT_DIR=/tmp/shots pytest -n 0 repaircenter/orders/tests/test_browser_russian.py
"""

import re
import subprocess
from urllib.parse import urlparse

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from repaircenter.conftest import log_in, mark_all_done, pay_balance, send_new_estimate
from repaircenter.documents.issuing import open_pdf
from repaircenter.orders import workflow
from repaircenter.orders.models import Order, Status
from repaircenter.orders.workflow import Actor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def russian_staff(receptionist, technician):
    for user in (receptionist, technician):
        user.language = "ru"
        user.save()
    return receptionist


def test_an_order_in_russian_from_intake_to_issue(russian_staff, technician, manager, shots,
                                                   new_page, phone_kind):
    receptionist = russian_staff

    # --- intake, at the counter ------------------------------------------------------------
    desk = new_page()
    log_in(desk, receptionist.username)
    desk.goto(reverse("staff:intake"))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Принять технику")
    expect(desk.locator("label[for=id_language]")).to_contain_text("Язык сообщений и документов")
    desk.locator("#id_phone").fill("+7 916 123-45-67")
    desk.locator("#id_name").fill("Иван Петров")
    desk.locator("#id_language").select_option("ru")
    desk.locator("#id_kind").select_option(label="Телефон")
    desk.locator("#id_brand").fill("Xiaomi")
    desk.locator("#id_model").fill("Redmi 9")
    desk.locator("#id_condition").fill("Царапины на задней крышке")
    desk.locator("#id_fault").fill("Не заряжается")
    desk.get_by_role("button", name="Сохранить и распечатать квитанцию").click()
    expect(desk.locator("body")).to_contain_text("Условия обслуживания")
    expect(desk.locator("body")).to_contain_text("Экземпляр клиента")
    code = desk.locator(".pickup-code").first.inner_text().strip()
    # The printed link is the public site's address; its path, on the test server.
    link = urlparse(desk.get_by_role("link", name="Открыть страницу клиента")
                    .get_attribute("href")).path
    desk.screenshot(path=shots / "ru-intake-order.png", full_page=True)
    order = Order.objects.get()
    assert order.customer.language == "ru"

    # --- diagnostics and the estimate, at the bench (through the workflow) -------------------
    workflow.start_diagnosis(order=order, actor=Actor.staff(technician))
    send_new_estimate(order, technician,
                      lines=(("Замена разъёма зарядки", "1", "1249.00"),),
                      recommendation="Ремонт целесообразен.")

    # --- the customer, on their phone; the browser asks for English ---------------------------
    phone = new_page(PHONE)
    phone.goto(link)
    expect(phone.locator("html")).to_have_attribute("lang", "ru")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(order.display_number)
    expect(phone.locator("body")).to_contain_text("Нужно ваше решение")
    expect(phone.locator("body")).to_contain_text("1\xa0249,00\xa0£")
    expect(phone.locator("body")).to_contain_text(re.compile(r"\d+ [а-я]+ \d{4} г\."))
    phone.screenshot(path=shots / "ru-customer-page-phone.png", full_page=True)
    expect(phone.locator("body")).to_contain_text("Принят в центре")  # the progress too
    expect(phone.get_by_role("button", name="English")).to_be_visible()  # the switch
    phone.locator("a.approve").click()
    expect(phone).to_have_url(re.compile("/approve/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Согласовать ремонт?")
    phone.get_by_role("button", name=re.compile("^Да, согласовать за")).click()
    expect(phone.locator("body")).to_contain_text("Согласовано, ремонт скоро начнётся")
    phone.screenshot(path=shots / "ru-customer-page-approved-phone.png", full_page=True)
    order.refresh_from_db()
    assert order.status == Status.APPROVED

    # --- the repair and its test, at the bench ------------------------------------------------
    tech = Actor.staff(technician)
    workflow.start_repair(order=order, actor=tech)
    mark_all_done(order, technician)
    workflow.finish_works(order=order, actor=tech)
    workflow.record_test(order=order, actor=tech, passed=True, note="Нагрузка 60 минут")
    pay_balance(order, manager)

    # --- the handover, at the counter ---------------------------------------------------------
    desk.goto(reverse("staff:order", args=[order.number]))
    field = desk.locator("details.issuance input[name=pickup_code]")
    field.type(code)
    field.press("Enter")
    expect(desk.locator(".flash-success")).to_have_text("Выдать клиенту: готово.")
    expect(desk.locator("h1 .badge-state")).to_have_text("Выдан")
    expect(desk.locator("#documents")).to_contain_text("Гарантийный талон")
    desk.screenshot(path=shots / "ru-issued.png", full_page=True)

    # The customer's page says it was collected, in Russian.
    phone.goto(link)
    expect(phone.locator("body")).to_contain_text("Вы забрали технику")

    # The public site follows the browser (English here) until its switch says Russian.
    phone.goto("/")
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.get_by_role("button", name="Русский").click()
    expect(phone.locator("html")).to_have_attribute("lang", "ru")
    expect(phone.locator("body")).to_contain_text("Бесплатная консультация")
    phone.screenshot(path=shots / "ru-home-phone.png", full_page=True)

    # --- the warranty card, in Russian, as a PDF and a picture of it -------------------------
    card = Order.objects.get(pk=order.pk).documents.get(kind="warranty_card")
    with open_pdf(card) as pdf:
        (shots / "ru-warranty-card.pdf").write_bytes(pdf.read())
    text = subprocess.run(["pdftotext", "-layout", str(shots / "ru-warranty-card.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Гарантийный талон" in text and "Условия гарантии" in text
    assert "Warranty" not in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile",
                    str(shots / "ru-warranty-card.pdf"), str(shots / "ru-warranty-card")],
                   check=True)
    assert (shots / "ru-warranty-card.png").stat().st_size > 10_000
