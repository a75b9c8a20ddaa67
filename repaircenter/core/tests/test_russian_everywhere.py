"""Every staff and customer page and every document, in Russian, has no English sentence left.

A Russian-speaking manager (their profile says Russian) opens every staff page of orders in every
state; a customer whose language is Russian opens every page of their order and of the public
site; every document is issued in the customer's language. On each, the text a reader sees (and
the tooltips, placeholders and confirmations) is searched for Latin words: only the names and
codes of the test's own data (the customer's name, the brand, the serial number…) and a few
codes that are the same in Russian (SMS, IMEI, PDF…) may be left.

Adding a page: the test lists every named staff and public address and fails on one it does not
open, so a new page is looked at in Russian too (or listed in NOT_PAGES with why)."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.urls import get_resolver, reverse
from django.utils import translation

from repaircenter.conftest import order_in_state, take_in
from repaircenter.consult import services as consult
from repaircenter.consult.models import AdviceRequest
from repaircenter.customers.models import Customer
from repaircenter.documents.models import Document
from repaircenter.orders import estimates
from repaircenter.orders.models import EventChannel, Status
from repaircenter.orders.states import QUEUES

pytestmark = pytest.mark.django_db

# The test's own data, and codes that read the same in Russian: these Latin words may stay.
ALLOWED = {
    # the conftest's customer, equipment and staff
    "Alice", "Brown", "Samsung", "Galaxy", "S23", "R5CW31ABCDE", "alice", "example", "com",
    "reception", "tech", "boss", "manager", "Phone", "tom",
    # what the conftest's workflow helpers type (estimate lines, notes, test procedure)
    "Scratched", "back", "Case", "Does", "not", "charge", "Replace", "the", "charging", "port",
    "Worth", "repairing", "No", "thanks", "Too", "expensive", "Go", "ahead", "min", "load",
    "test", "Recycled", "A", "B", "Maria", "Tom", "Rita",
    # examples in the texts themselves
    "Lenovo", "ThinkPad", "T14",
    # codes and names that Russian writes the same way
    "SMS", "IMEI", "PDF", "CSV", "API", "GSM", "UCS", "S", "N", "HTTP", "JSON", "URL", "QR",
    "SIM", "Email", "email", "E", "mail", "Enter", "JavaScript", "Repair", "Center",
    "English", "R", "GBP", "https", "http", "www", "o", "pdf", "tel", "id", "Bearer",
    "Europe", "London", "UTC", "GMT", "BST", "CET", "MSK",
}
# Named addresses that are not pages to read: they take a POST, answer JSON or a file, or
# redirect. (Each is tested where it is built.)
NOT_PAGES = {
    "staff:choose_center", "staff:customer_lookup", "staff:customer_copy_pdf", "staff:photo",
    "staff:signature", "staff:order_action", "staff:replace_link", "staff:send_transfer",
    "staff:receive_transfer", "staff:storage_location", "staff:confirm_disposal",
    "staff:findings", "staff:estimate_start", "staff:estimate_details",
    "staff:estimate_add_line", "staff:estimate_add_from_price_list",
    "staff:estimate_update_line", "staff:estimate_remove_line",
    "staff:estimate_discard", "staff:estimate_send", "staff:line_done", "staff:line_undo",
    "staff:stress_test", "staff:unlock_issuance", "staff:take_payment", "staff:document_pdf",
    "notifications:record_call", "notifications:requeue", "notifications:handled",
    "notifications:call_customer", "reports:csv", "consult:inbox_list", "consult:away",
    "consult:thread_poll", "consult:thread_reply", "consult:advice_answer",
    "consult:advice_dismiss", "consult:advice_photo",
    "portal:robots", "portal:set_language", "portal:order_language", "portal:document",
    "portal:chat_poll", "portal:chat_send", "portal:chat_contact", "portal:order_chat_poll",
    "portal:order_chat_send", "portal:order_chat_pass_on",
    # intake records: the photos and the signature are images
    "staff:condition_photo", "staff:intake_signature",
    # stock and warranty: forms posted from the pages read below
    "staff:stock_adjust", "staff:estimate_add_part", "staff:estimate_warranty",
    "staff:estimate_repair_under_warranty",
}
LATIN = re.compile(r"[A-Za-z][A-Za-z0-9]*")
# Codes: the pickup code's groups, shelf codes (A3), serial numbers; no English word is written so.
CODE = re.compile(r"[A-Z0-9]{3,}|[A-Z]\d+")
ATTRIBUTES = re.compile(r'\b(?:title|placeholder|aria-label|data-confirm|alt)="([^"]*)"')


def reader_text(body: str) -> str:
    """What a reader sees: the text without tags, scripts, styles and addresses, and the
    attributes shown as tooltips, placeholders and confirmations."""
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.DOTALL)
    shown = " ".join(ATTRIBUTES.findall(body))
    body = re.sub(r"<[^>]+>", " ", body)
    text = html.unescape(body + " " + shown)
    # The pickup code (ABCDE-FGHJK), random: before the numbers below cut a piece out of it.
    text = re.sub(r"\b[A-Z2-9]{5}-[A-Z2-9]{5}\b", " ", text)
    # Links, addresses, order and estimate numbers (R-000001/E1).
    text = re.sub(r"https?://\S+|/o/\S+|\S+@\S+|[A-Z]{1,4}-\d+(?:/E\d+)?", " ", text)
    return " ".join(text.split())


def english_left(body: str, also_allowed=()) -> list[str]:
    allowed = ALLOWED | set(also_allowed)
    return sorted({w for w in LATIN.findall(reader_text(body))
                   if w not in allowed and not CODE.fullmatch(w)})


@pytest.fixture
def russians(customer, manager):
    customer.language = "ru"
    customer.save()
    manager.language = "ru"
    manager.save()


@pytest.fixture
def orders(russians, customer, receptionist, technician, manager):
    people = {"customer": customer, "receptionist": receptionist, "technician": technician,
              "manager": manager}
    made = {}
    # The disposal act is the manager's paper: issued in the language of whoever confirms.
    with translation.override("ru"):
        for status in (Status.DIAGNOSING, Status.AWAITING_DECISION,
                       Status.REPAIRING, Status.READY_REPAIRED,
                       Status.READY_UNREPAIRED, Status.ISSUED, Status.DISPOSAL_DUE,
                       Status.DISPOSED):
            made[status] = order_in_state(status, **people)
    return made


def read(client, url: str, *, ok=(200,)) -> str:
    response = client.get(url, follow=True)
    assert response.status_code in ok, (url, response.status_code)
    assert response.headers.get("Content-Language") == "ru", url
    return response.content.decode()


def check(pages: dict[str, str]):
    left = {url: words for url, body in pages.items() if (words := english_left(body))}
    assert not left, f"English left on: {left}"


def every_staff_page_is_in_russian(client, orders, manager, people):
    client.force_login(manager)
    urls = ["/staff/", "/staff/intake/", "/staff/search/?q=Brown", "/staff/storage/",
            "/staff/disposal/", "/staff/transfers/", reverse("profile"),
            "/staff/messages/calls/", "/staff/messages/attention/", "/staff/reports/",
            "/staff/consult/"]
    urls += [reverse("staff:queue", args=[slug]) for slug in QUEUES]
    for order in orders.values():
        n = order.number
        urls += [reverse("staff:order", args=[n]), reverse("staff:intake_order", args=[n]),
                 reverse("staff:label", args=[n])]
        urls += [reverse("staff:document_page", args=[n, d.pk]) for d in order.documents.all()]
    awaiting = orders[Status.AWAITING_DECISION].number
    urls += [reverse("staff:decision_slip", args=[awaiting])]
    urls += [reverse("staff:estimate", args=[orders[Status.DIAGNOSING].number])]
    act = Document.objects.get(kind="disposal_act")
    urls += [reverse("staff:disposal_act", args=[act.number])]
    advice = AdviceRequest.objects.create(name="Alice Brown", phone="+442079460101",
                                          reply_channel="sms", question="Does not charge")
    urls += [reverse("consult:advice", args=[advice.pk])]
    thread = consult.open_order_thread(orders[Status.REPAIRING])
    # As the customer writes it, on their page in Russian (with no consultant online, the
    # chat's note that the question was passed on is written in their language).
    with translation.override("ru"):
        consult.post_visitor_message(thread=thread, body="Когда будет готово?")
    urls += [reverse("consult:thread", args=[thread.pk])]
    urls += stock_pages(client, people)
    shown = passcode_order(people)  # before the kind has a checklist to answer
    urls += warranty_and_intake_record_pages(client, orders, people)
    visited = {get_resolver().resolve(url.split("?")[0]).view_name for url in urls}
    check({url: read(client, url) for url in urls})
    # The catalogue's import names the CSV file's columns, which are the same in any language.
    url = reverse("staff:catalogue_import")
    columns = {"sku", "name", "purchase", "cost", "selling", "price", "fits", "minimum",
               "serial", "tracked", "yes", "no"}
    assert english_left(read(client, url), columns) == []
    visited.add("staff:catalogue_import")
    # The passcode is shown in answer to a POST (a page the browser does not keep).
    url = reverse("staff:passcode", args=[shown.number])
    response = client.post(url)
    assert response.status_code == 200 and response.headers["Content-Language"] == "ru"
    check({url: response.content.decode(),
           "order with passcode": read(client, reverse("staff:order", args=[shown.number]))})
    return visited | {"staff:passcode"}


def stock_pages(client, people) -> list[str]:
    """A part below its minimum, an order waiting for another, a purchase order bringing it and
    a draft one: the storeroom's pages, each with something on it."""
    from repaircenter.centers.models import Center
    from repaircenter.orders import workflow
    from repaircenter.orders.workflow import Actor
    from repaircenter.stock import purchasing
    from repaircenter.stock import services as stock
    from repaircenter.stock.models import Part, Supplier

    def part(sku, name):
        return Part.objects.create(sku=sku, name=name, fits="Galaxy S23", minimum=2,
                                   purchase_cost=Decimal("10.00"),
                                   selling_price=Decimal("25.00"))

    screen, port = part("SCR-1", "Экран"), part("PRT-2", "Разъём зарядки")
    center = Center.default()
    stock.receive(center_id=center.pk, part_id=screen.pk, quantity=1)
    order = order_in_state(Status.DIAGNOSING, **people)
    technician = Actor.staff(people["technician"])
    draft = estimates.start_draft(order=order, actor=technician)
    estimates.update_details(estimate=draft, actor=technician, repair_days=2,
                             recommendation="", internal_notes="")
    estimates.add_part(estimate=draft, actor=technician, part_id=port.pk)
    workflow.send_estimate(order=order, actor=technician, estimate=draft)
    order = workflow.approve(order=order, actor=Actor.staff(people["receptionist"]),
                             channel=EventChannel.PHONE, evidence={"said": "да"})
    assert order.status == Status.WAITING_FOR_PARTS
    supplier = Supplier.objects.create(name="ООО Запчасти")
    manager = people["manager"]
    sent = purchasing.create(center_id=center.pk, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=sent, part=port, quantity=1)
    purchasing.send(purchase_order=sent,
                    expected_on=datetime.date.today() + datetime.timedelta(days=3))
    draft_po = purchasing.create(center_id=center.pk, supplier=supplier, by=manager)
    purchasing.set_line(purchase_order=draft_po, part=screen, quantity=2)
    return [reverse("staff:stock"), reverse("staff:stock") + "?low=1",
            reverse("staff:waiting_for_parts"), reverse("staff:what_to_order"),
            reverse("staff:purchase_orders"), reverse("staff:purchase_order", args=[sent.pk]),
            reverse("staff:purchase_order", args=[draft_po.pk]),
            reverse("staff:estimate", args=[order.number]),
            reverse("staff:order", args=[order.number])]


def warranty_and_intake_record_pages(client, orders, people) -> list[str]:
    """The device's history at intake, a warranty claim taken in, assessed by the technician,
    its estimate and order pages, the warranty report; an order with its condition checklist
    and the customer's signature."""
    from repaircenter.orders.models import ChecklistItem, EquipmentKind
    from repaircenter.orders.workflow import Actor, ConditionAnswer, start_diagnosis

    issued = orders[Status.ISSUED]
    claim = take_in(people["receptionist"], people["customer"], warranty_of=issued).order
    start_diagnosis(order=claim, actor=Actor.staff(people["technician"]))
    draft = estimates.start_draft(order=claim, actor=Actor.staff(people["technician"]))
    line = issued.estimates.get().lines.get()
    response = client.post(reverse("staff:estimate_warranty", args=[claim.number, draft.pk]),
                           {f"line_{line.pk}": "covered", "note": "Тот же разъём"})
    assert response.status_code == 302, response.status_code
    phone = EquipmentKind.objects.get(name="Phone")
    screen = ChecklistItem.objects.create(kind=phone, label="Экран", position=1, required=True)
    body = ChecklistItem.objects.create(kind=phone, label="Корпус", position=2)
    checked = take_in(people["receptionist"], people["customer"], serial="", condition=[
        ConditionAnswer(item_id=screen.pk, result="ok"),
        ConditionAnswer(item_id=body.pk, result="damaged", note="Вмятина слева"),
    ], signature=signature_drawing()).order
    device = reverse("staff:device_history")
    return [device + "?serial_number=R5CW31ABCDE", device + "?serial_number=NEW1",
            reverse("staff:intake") + f"?warranty_of={issued.number}",
            reverse("staff:intake") + f"?kind={phone.pk}",  # with the kind's checklist
            reverse("staff:estimate", args=[claim.number]),
            reverse("staff:order", args=[claim.number]),
            reverse("staff:order", args=[issued.number]),
            reverse("staff:order", args=[checked.number]),
            reverse("staff:intake_order", args=[checked.number]),
            reverse("reports:warranty")]


def signature_drawing() -> str:
    """What the signature pad sends: a PNG data: URL of a stroke."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 120), (200, 60), (380, 130), (560, 70)],
                               fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def passcode_order(people):
    """An order taken in with the pattern the customer drew to unlock the device."""
    from repaircenter.orders.workflow import Passcode

    return take_in(people["receptionist"], people["customer"], serial="",
                   passcode=Passcode(kind="pattern", value="15963")).order


def test_the_intake_and_its_printed_copies_are_in_russian(client, russians, manager, phone_kind,
                                                        customer):
    client.force_login(manager)
    page = read(client, "/staff/intake/")
    assert english_left(page) == []
    response = client.post("/staff/intake/", {
        "phone": "+79161234567", "name": "Иван Петров", "email": "", "channel_1": "sms",
        "language": "ru", "kind": phone_kind.pk, "brand": "Xiaomi", "model": "Redmi 9",
        "serial_number": "", "imei": "", "condition": "Царапины на корпусе",
        "accessories": "", "fault": "Не включается",
        "intake_key": "6f1c2a56-8d3e-4a57-9c1b-0a8f5e1d2c3b",
    })
    assert response.status_code == 200
    # The new customer's language is what the receptionist chose; their copies are in it.
    assert Customer.objects.get(phone="+79161234567").language == "ru"
    page = response.content.decode()
    assert "Условия обслуживания" in page and "Телефон Xiaomi Redmi 9" in page
    assert english_left(page, {"Xiaomi", "Redmi", "B"}) == []


def test_every_customer_page_public_page_and_document_is_in_russian(client, orders):
    urls = ["/", "/find/", "/find/sent/", "/advice/", "/advice/sent/", "/chat/"]
    for order in orders.values():
        token = order.link_token
        urls.append(f"/o/{token}/")
        urls += [f"/o/{token}/documents/{d.pk}/" for d in order.documents.all()
                 if d.kind != "disposal_act"]
    token = orders[Status.AWAITING_DECISION].link_token
    urls += [f"/o/{token}/approve/", f"/o/{token}/refuse/"]
    # The public site follows the browser: a Russian one asks for Russian.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru-RU,ru;q=0.9"
    check({url: read(client, url) for url in urls})
    check({"404": read(client, "/no-such-page/", ok=(404,)),
           "link": read(client, "/o/not-a-link-at-all-xxxxxxxxxx/", ok=(404,))})
    # Every document, issued in the customer's language (the disposal act in the manager's).
    documents = Document.objects.all()
    kinds = {d.kind for d in documents}
    assert kinds >= {"intake_order", "estimate", "receipt", "completion_certificate",
                     "warranty_card", "disposal_act"}
    check({f"{d.kind} {d.display_number}": d.html for d in documents})


def test_every_staff_page_is_in_russian_and_none_is_left_out(client, orders, manager, customer,
                                                             receptionist, technician):
    people = {"customer": customer, "receptionist": receptionist, "technician": technician,
              "manager": manager}
    visited = every_staff_page_is_in_russian(client, orders, manager, people)
    visited |= {"portal:home", "portal:lookup", "portal:lookup_sent", "portal:advice",
                "portal:advice_sent", "portal:chat", "portal:order", "portal:approve",
                "portal:refuse"}
    names = set()
    for namespace in ("staff", "portal", "notifications", "reports", "consult"):
        resolver = get_resolver().namespace_dict[namespace][1]
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    unread = names - visited - NOT_PAGES
    assert not unread, f"pages this test does not read in Russian: {sorted(unread)}"
