"""The API at intake: the condition checklist, the signature, the device passcode; and the walk
of a whole order that looks for the passcode everywhere it must never be."""

import logging
import re
import subprocess

import pytest
from django.apps import apps
from django.urls import reverse

from repaircenter.accounts.roles import Role
from repaircenter.documents.issuing import ensure_pdf, open_pdf
from repaircenter.documents.models import Document
from repaircenter.notifications.models import Message
from repaircenter.orders.models import (
    ChecklistItem,
    DevicePasscode,
    EquipmentKind,
    Order,
    OrderEvent,
)
from repaircenter.orders.passcodes import decrypt
from repaircenter.orders.tests.test_intake_records import pad_drawing

from .conftest import error
from .helpers import intake, pay, post, to_ready

pytestmark = pytest.mark.django_db

SECRET = "Zebra-Quartz-7391"  # a password no page, message or log line would hold by chance


@pytest.fixture
def checklist(db):
    phone = EquipmentKind.objects.get_or_create(name="Phone")[0]
    return (ChecklistItem.objects.create(kind=phone, label="Screen", position=1, required=True),
            ChecklistItem.objects.create(kind=phone, label="Housing", position=2))


def test_the_kinds_list_gives_their_checklists(api, checklist):
    kinds = api.get("/api/v1/equipment-kinds/").json()
    phone = next(k for k in kinds if k["name"] == "Phone")
    assert phone["checklist"] == [
        {"id": checklist[0].pk, "label": "Screen", "position": 1, "required": True},
        {"id": checklist[1].pk, "label": "Housing", "position": 2, "required": False},
    ]


def intake_with(api, **extra):
    kind = EquipmentKind.objects.get(name="Phone")
    return api.post("/api/v1/orders/", {
        "customer": {"phone": "+442079460101", "name": "Alice Brown"},
        "equipment": {"kind": kind.pk, "brand": "Samsung", "condition": "Scratched",
                      "fault": "Does not charge"},
        **extra,
    }, format="json")


def test_intake_takes_condition_signature_and_passcode_and_returns_no_passcode(api, checklist):
    screen, housing = checklist
    response = intake_with(api, condition=[
        {"item": screen.pk, "result": "ok"},
        {"item": housing.pk, "result": "damaged", "note": "Dent"},
    ], signature=pad_drawing(), passcode={"kind": "pattern", "value": "7-4-1-2-3"})
    assert response.status_code == 201, response.json()
    order = response.json()["order"]
    assert order["condition"] == [
        {"item": screen.pk, "label": "Screen", "required": True, "result": "ok", "note": ""},
        {"item": housing.pk, "label": "Housing", "required": False, "result": "damaged",
         "note": "Dent"},
    ]
    assert order["intake_signed_at"] is not None
    assert order["has_passcode"] is True
    assert "74123" not in response.content.decode()
    assert decrypt(DevicePasscode.objects.get().ciphertext) == "74123"
    # Read again: the same.
    again = api.get(f"/api/v1/orders/{order['number']}/").json()
    assert again["condition"] == order["condition"] and again["has_passcode"] is True


@pytest.mark.parametrize("extra, field_says", [
    ({"condition": []}, "Screen must be checked"),
    ({"condition": [{"item": 999999, "result": "ok"}]}, "not on this kind"),
    ({"signature": pad_drawing(ink=False)}, "signature pad is empty"),
    ({"passcode": {"kind": "pattern", "value": "1-2-3"}}, "at least 4 points"),
    ({"passcode": {"kind": "pattern", "value": "1-2-3-1"}}, "repeats a point"),
])
def test_bad_intake_records_are_refused_with_400_and_nothing_saved(api, checklist, extra,
                                                                   field_says):
    body = {"condition": [{"item": checklist[0].pk, "result": "ok"}], **extra}
    response = intake_with(api, **body)
    assert response.status_code == 400, response.json()
    assert field_says in str(error(response))
    assert Order.objects.count() == 0
    assert DevicePasscode.objects.count() == 0


def test_the_order_without_a_checklist_or_signature_still_goes_in(api):
    order = intake(api)["order"]
    assert order["condition"] == [] and order["intake_signed_at"] is None
    assert order["has_passcode"] is False


# --- the walk ---------------------------------------------------------------------------------


def every_stored_value() -> str:
    """Every value of every row of every table, as text (bytes decoded as they can be)."""
    values = []
    for model in apps.get_models(include_auto_created=True):
        for row in model._base_manager.values_list():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                values.append(str(value))
    return "\n".join(values)


def test_the_passcode_is_nowhere_but_its_ciphertext_and_the_show_page(
        api, client, technician, receptionist, manager, caplog, checklist):
    caplog.set_level(logging.DEBUG)
    seen: list[tuple[str, str]] = []  # (where, text)

    client.force_login(receptionist)
    from repaircenter.orders.tests.test_intake import form_data

    response = client.post(reverse("staff:intake"), {
        **form_data(), f"check_{checklist[0].pk}": "ok", "signature_data": pad_drawing(),
        "passcode_kind": "password", "passcode": SECRET})
    assert response.status_code == 200
    seen.append(("intake order page", response.content.decode()))
    order = Order.objects.get()
    number = order.number
    code = re.search(r'name="pickup_code" value="([A-Z0-9]+)"', response.content.decode())[1]

    # The database holds only ciphertext.
    assert SECRET not in every_stored_value()
    assert decrypt(DevicePasscode.objects.get().ciphertext) == SECRET

    # A technician shows it: the one page that holds it, and an event without it.
    client.force_login(technician)
    shown = client.post(reverse("staff:passcode", args=[number]))
    assert shown.status_code == 200 and SECRET in shown.content.decode()
    assert shown["Cache-Control"].startswith("no-store") or "no-store" in shown["Cache-Control"]
    assert OrderEvent.objects.filter(order=order, action="passcode_viewed").count() == 1

    def staff_pages(who):
        client.force_login(who)
        for url in (reverse("staff:order", args=[number]), reverse("staff:home"),
                    reverse("staff:intake_order", args=[number]),
                    reverse("staff:label", args=[number]),
                    reverse("staff:search") + f"?q={number}",
                    reverse("staff:queue", args=["to-diagnose"])):
            page = client.get(url)
            assert page.status_code == 200, url
            seen.append((url, page.content.decode()))

    def portal_page():
        link = Order.objects.get(pk=order.pk).link_token
        page = client.get(reverse("portal:order", args=[link]))
        seen.append(("customer's page", page.content.decode()))

    staff_pages(technician)
    portal_page()
    ready = to_ready(api, number)
    seen.append(("api: ready", str(ready)))
    staff_pages(manager)
    portal_page()
    paid = pay(api, number, ready["balance"]["balance_due"])
    seen.append(("api: payment", paid.content.decode()))
    issued = post(api, f"/api/v1/orders/{number}/issue/", {"pickup_code": code})
    seen.append(("api: issued", str(issued)))
    seen.append(("api: detail", api.get(f"/api/v1/orders/{number}/").content.decode()))
    seen.append(("api: list", api.get("/api/v1/orders/").content.decode()))
    staff_pages(manager)
    portal_page()

    # Erased at issuance, with an event saying so; the show action now says it is gone.
    assert not DevicePasscode.objects.exists()
    assert [e.action for e in OrderEvent.objects.filter(order=order, action__startswith="passcode")
            ] == ["passcode_viewed", "passcode_erased"]
    client.force_login(technician)
    gone = client.post(reverse("staff:passcode", args=[number]), follow=True)
    assert "no passcode on record" in gone.content.decode()

    for message in Message.objects.all():
        seen.append((f"message {message.event}", f"{message.subject}\n{message.body}"))
    for document in Document.objects.all():
        seen.append((f"document {document.title}", document.html))
        ensure_pdf(document)
        with open_pdf(document) as handle:
            pdf = handle.read()
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                              check=True).stdout.decode()
        seen.append((f"PDF {document.title}", text))
    seen.append(("log", caplog.text))
    seen.append(("database", every_stored_value()))

    assert len(seen) > 25
    assert Message.objects.exists() and Document.objects.count() >= 3
    leaks = [where for where, text in seen if SECRET in text]
    assert leaks == []


def test_only_technicians_and_managers_may_show_the_passcode(api, client, checklist, make_client,
                                                             receptionist, cashier, technician):
    made = intake_with(api, condition=[{"item": checklist[0].pk, "result": "ok"}],
                       passcode={"kind": "pin", "value": "4815"}).json()
    url = reverse("staff:passcode", args=[made["order"]["number"]])
    for who in (receptionist, cashier):
        client.force_login(who)
        assert client.post(url).status_code == 403
    client.force_login(technician)
    assert client.get(url).status_code == 405  # showing it is an action, never a link
    assert OrderEvent.objects.filter(action="passcode_viewed").count() == 0
    page = client.post(url)
    assert "4815" in page.content.decode()
    event = OrderEvent.objects.get(action="passcode_viewed")
    assert event.actor == technician and "4815" not in str(event.evidence)
    # The order page offers the action to the technician only, never the passcode.
    order_page = client.get(reverse("staff:order", args=[made["order"]["number"]]))
    assert "Show the device passcode" in order_page.content.decode()
    assert "4815" not in order_page.content.decode()
    assert make_client(Role.TECHNICIAN)  # API tokens have no passcode operation at all
