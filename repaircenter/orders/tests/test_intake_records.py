"""What intake records to settle disputes: the condition checklist of the kind, the signature on
the pad, the device passcode (staff pages; the API's in api/tests/test_intake_records.py)."""

import base64
import html
import io
import re

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw

from repaircenter.customers.models import Customer
from repaircenter.orders.models import (
    ChecklistItem,
    ConditionCheck,
    ConditionPhoto,
    DevicePasscode,
    EquipmentKind,
    IntakeSignature,
    Order,
    OrderEvent,
)
from repaircenter.orders.tests.test_intake import INTAKE_URL, form_data, image_file

pytestmark = pytest.mark.django_db


def pad_drawing(*, ink=True, background=None) -> str:
    """What the pad's script sends: a PNG data: URL of the canvas, drawn on or left empty."""
    image = Image.new("RGBA", (600, 180), background or (0, 0, 0, 0))
    if ink:
        ImageDraw.Draw(image).line([(40, 120), (200, 60), (380, 130), (560, 70)],
                                   fill=(17, 17, 17, 255), width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture
def checklist(db):
    phone = EquipmentKind.objects.get(name="Phone")
    return {
        "screen": ChecklistItem.objects.create(kind=phone, label="Screen", position=1,
                                               required=True),
        "housing": ChecklistItem.objects.create(kind=phone, label="Housing", position=2,
                                                required=True),
        "cameras": ChecklistItem.objects.create(kind=phone, label="Cameras", position=3),
        "old": ChecklistItem.objects.create(kind=phone, label="Old item", position=4,
                                            active=False),
    }


def answers(checklist, **given) -> dict:
    """The checklist's radio buttons and notes as posted: screen OK, housing damaged."""
    data = {f"check_{checklist['screen'].pk}": "ok",
            f"check_{checklist['housing'].pk}": "damaged",
            f"check_{checklist['housing'].pk}_note": "Dent on the left edge"}
    for key, value in given.items():
        item, _, field = key.partition("__")
        name = f"check_{checklist[item].pk}" + (f"_{field}" if field else "")
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


@pytest.fixture
def staff_client(client, receptionist):
    client.force_login(receptionist)
    return client


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assert_nothing_saved():
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert ConditionCheck.objects.count() == 0
    assert IntakeSignature.objects.count() == 0
    assert DevicePasscode.objects.count() == 0
    assert OrderEvent.objects.count() == 0


# --- the checklist ----------------------------------------------------------------------------


def test_the_form_shows_the_kinds_active_checklist_items(staff_client, checklist):
    text = page_text(staff_client.get(INTAKE_URL))
    assert "Condition checklist: Phone" in text
    assert 'data-check="Screen"' in text and 'data-check="Cameras"' in text
    assert "Old item" not in text


def test_a_checklist_answered_is_saved_with_the_order_and_its_photos(staff_client, checklist):
    data = {**form_data(), **answers(checklist, cameras="ok", cameras__note="Lens clean"),
            f"check_{checklist['housing'].pk}_photos": image_file("dent.png")}
    response = staff_client.post(INTAKE_URL, data)
    assert response.status_code == 200
    order = Order.objects.get()
    checks = [(c.label, c.result, c.note, c.required) for c in order.condition_checks.all()]
    assert checks == [("Screen", "ok", "", True),
                      ("Housing", "damaged", "Dent on the left edge", True),
                      ("Cameras", "ok", "Lens clean", False)]
    photo = ConditionPhoto.objects.get()
    assert photo.check_item.label == "Housing"
    assert photo.image.name.startswith(f"photos/{order.pk}/condition/")
    event = order.events.get()
    assert event.evidence["condition"] == {"ok": 2, "damaged": 1, "not_checked": 0}
    # The intake order printed at once shows the checklist.
    assert 'data-check="Housing"' in page_text(response)


def test_an_item_not_answered_is_recorded_as_not_checked(staff_client, checklist):
    staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist)})
    cameras = ConditionCheck.objects.get(label="Cameras")
    assert cameras.result == "not_checked"


@pytest.mark.parametrize("change, says", [
    ({"screen": None}, "Screen must be checked"),
    ({"screen": "not_checked"}, "Screen must be checked"),
    ({"housing__note": ""}, "Housing is marked damaged: describe the damage"),
    ({"cameras": "broken"}, "Cameras: choose OK, damaged or not checked"),
])
def test_a_checklist_to_correct_is_refused_and_nothing_is_saved(staff_client, checklist,
                                                                change, says):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist, **change)})
    assert response.status_code == 400
    assert says in page_text(response)
    assert_nothing_saved()
    # What was typed is kept: the other answers are still ticked.
    assert f'name="check_{checklist["housing"].pk}" value="damaged" checked' in \
        response.content.decode()


def test_a_renamed_item_keeps_its_words_as_asked(staff_client, checklist):
    staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist)})
    ChecklistItem.objects.filter(pk=checklist["screen"].pk).update(label="Display")
    checklist["screen"].delete()
    assert ConditionCheck.objects.filter(label="Screen", item=None).exists()


def test_the_manager_edits_the_checklist_in_the_kinds_admin(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    phone = EquipmentKind.objects.get(name="Phone")
    url = reverse("admin:orders_equipmentkind_change", args=[phone.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "checklist_items-TOTAL_FORMS" in page.content.decode()
    data = {"name": "Phone", "active": "on", "position": "0", "diagnostics_fee": "10.00",
            "warranty_months": "3",
            "checklist_items-TOTAL_FORMS": "2", "checklist_items-INITIAL_FORMS": "0",
            "checklist_items-MIN_NUM_FORMS": "0", "checklist_items-MAX_NUM_FORMS": "1000",
            "checklist_items-0-position": "2", "checklist_items-0-label": "Liquid indicator",
            "checklist_items-0-required": "on", "checklist_items-0-active": "on",
            "checklist_items-1-position": "1", "checklist_items-1-label": "Screen",
            "checklist_items-1-active": "on"}
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert [(i.label, i.required) for i in ChecklistItem.objects.filter(kind=phone)] == [
        ("Screen", False), ("Liquid indicator", True)]


def test_the_kinds_admin_is_not_for_a_receptionist(client, receptionist):
    receptionist.is_staff = True
    receptionist.save()
    client.force_login(receptionist)
    phone = EquipmentKind.objects.get(name="Phone")
    response = client.get(reverse("admin:orders_equipmentkind_change", args=[phone.pk]))
    assert response.status_code == 403


# --- the signature ----------------------------------------------------------------------------


def test_a_signature_on_the_pad_is_stored_with_its_time_and_printed(staff_client, checklist):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                              "signature_data": pad_drawing()})
    assert response.status_code == 200
    order = Order.objects.get()
    signed = IntakeSignature.objects.get(order=order)
    assert signed.signed_at == order.received_at
    assert signed.data_url.startswith("data:image/png;base64,")
    assert order.events.get().evidence["signed"] == "pad"
    # Printed on the intake order, now and in the stored center's copy.
    assert signed.data_url in response.content.decode()
    stored = order.documents.get(kind="intake_order")
    assert signed.data_url in stored.html
    assert 'data-check="Housing"' in stored.html


@pytest.mark.parametrize("drawing", [
    pad_drawing(ink=False),
    pad_drawing(ink=False, background=(255, 255, 255, 255)),
    "data:image/png;base64,AAAA",
    "data:image/jpeg;base64," + pad_drawing()[22:],
])
def test_an_empty_or_foreign_signature_is_refused_and_nothing_is_saved(staff_client, checklist,
                                                                        drawing):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                              "signature_data": drawing})
    assert response.status_code == 400
    assert "signature" in page_text(response).lower()
    assert_nothing_saved()


def test_paper_signing_stays_possible(staff_client, checklist):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist)})
    assert response.status_code == 200
    order = Order.objects.get()
    assert not IntakeSignature.objects.exists()
    assert order.events.get().evidence["signed"] == "paper"
    assert '<span class="line"></span>' in order.documents.get(kind="intake_order").html


# --- the passcode -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind, typed, says", [
    ("pattern", "1-2-3", "at least 4 points"),
    ("pattern", "1-2-3-2", "repeats a point"),
    ("pattern", "1-2-0-5", "points 1 to 9"),
    ("pin", "12ab", "A PIN is 3 to 16 digits"),
    ("", "1234", "PIN, a password or a pattern"),
    ("pin", "", "Type the passcode"),
])
def test_a_bad_passcode_is_refused_nothing_saved_and_not_drawn_back(staff_client, checklist,
                                                                     kind, typed, says):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                              "passcode_kind": kind, "passcode": typed})
    assert response.status_code == 400
    assert says in page_text(response)
    assert_nothing_saved()
    if typed:
        assert f'value="{typed}"' not in response.content.decode()


@pytest.mark.parametrize("kind, typed, stored", [
    ("pin", "48 15", "4815"),
    ("password", "Hunter 2!", "Hunter 2!"),
    ("pattern", "1-5-9-6-3", "15963"),
])
def test_a_passcode_is_stored_only_as_ciphertext(staff_client, checklist, kind, typed, stored):
    response = staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                              "passcode_kind": kind, "passcode": typed})
    assert response.status_code == 200
    kept = DevicePasscode.objects.get()
    assert kept.kind == kind
    assert stored not in kept.ciphertext and typed not in kept.ciphertext
    from repaircenter.orders.passcodes import decrypt

    assert decrypt(kept.ciphertext) == stored
    assert Order.objects.get().events.get().evidence["passcode"] == kind
    assert stored not in response.content.decode()


def test_a_disposal_erases_the_passcodes_of_the_orders_it_disposes_of(make_order, manager):
    from django.utils import timezone

    from repaircenter.orders import passcodes, workflow
    from repaircenter.orders.models import Status

    kept, disposed = make_order(Status.DISPOSAL_DUE), make_order(Status.DISPOSAL_DUE)
    for order in (kept, disposed):  # as intake would have saved them
        DevicePasscode.objects.create(order=order, kind="pin",
                                      ciphertext=passcodes.encrypt("2468"),
                                      saved_at=timezone.now())
    workflow.confirm_disposals(numbers=[disposed.number], actor=workflow.Actor.staff(manager),
                               method="recycled", note="To the recycler")
    assert list(DevicePasscode.objects.values_list("order", flat=True)) == [kept.pk]
    erased = OrderEvent.objects.get(action="passcode_erased")
    assert (erased.order, erased.actor, erased.evidence) == (disposed, manager, {"kind": "pin"})
    assert erased.from_status == erased.to_status == Status.DISPOSED


def test_a_passcode_under_another_key_is_said_unreadable(make_order, technician, settings):
    from django.utils import timezone

    from repaircenter.orders import passcodes, workflow

    order = make_order()
    DevicePasscode.objects.create(order=order, kind="pin", ciphertext=passcodes.encrypt("2468"),
                                  saved_at=timezone.now())
    settings.PASSCODE_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
    with pytest.raises(workflow.Refused, match="another key"):
        workflow.show_passcode(order=order, actor=workflow.Actor.staff(technician))
    assert not OrderEvent.objects.filter(action="passcode_viewed").exists()


def test_the_pattern_is_shown_as_numbered_points(client, make_order, manager):
    from django.utils import timezone

    from repaircenter.orders import passcodes

    order = make_order()
    DevicePasscode.objects.create(order=order, kind="pattern",
                                  ciphertext=passcodes.encrypt("15963"), saved_at=timezone.now())
    client.force_login(manager)
    page = client.post(reverse("staff:passcode", args=[order.number]))
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    rows = [re.findall(r"<td>(?:<strong>(\d)</strong>|·)</td>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", page.content.decode())]
    assert rows == [["1", "", "5"], ["", "2", "4"], ["", "", "3"]]


# --- where the record is shown ----------------------------------------------------------------


def test_the_staff_order_page_shows_the_checklist_photos_and_signature(
        staff_client, client, checklist, technician, django_assert_max_num_queries):
    from repaircenter.orders.tests.test_order_page import (
        DOCUMENTS_DRAWN,
        ORDER_PAGE_QUERIES,
        SELDOM_PART,
    )

    staff_client.post(INTAKE_URL, {
        **form_data(), **answers(checklist), "signature_data": pad_drawing(),
        f"check_{checklist['housing'].pk}_photos": image_file("dent.png")})
    order = Order.objects.get()
    client.force_login(technician)
    client.get(reverse("staff:home"))
    # the checklist, + 1: its photos; the first view draws the intake order's table of documents
    with django_assert_max_num_queries(ORDER_PAGE_QUERIES + SELDOM_PART + 1 + DOCUMENTS_DRAWN):
        page = client.get(reverse("staff:order", args=[order.number]))
    text = page_text(page)
    assert 'data-check="Housing"' in text and "Dent on the left edge" in text
    photo = ConditionPhoto.objects.get()
    photo_url = reverse("staff:condition_photo", args=[order.number, photo.pk])
    signature_url = reverse("staff:intake_signature", args=[order.number])
    assert photo_url in text and signature_url in text
    assert "Show the device passcode" not in text  # none was given
    shown = client.get(photo_url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    signed = client.get(signature_url)
    assert signed.status_code == 200 and signed["Content-Type"] == "image/png"
    # Another order's photo is not reached through this order's address.
    assert client.get(reverse("staff:condition_photo", args=[order.number + 1, photo.pk])
                      ).status_code == 404


def test_the_signature_and_photos_are_for_staff_only(client, staff_client, checklist):
    staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                   "signature_data": pad_drawing()})
    order = Order.objects.get()
    client.logout()
    response = client.get(reverse("staff:intake_signature", args=[order.number]))
    assert response.status_code == 302  # to the login


def test_the_customers_page_shows_the_condition_they_signed(staff_client, client, checklist):
    staff_client.post(INTAKE_URL, {**form_data(), **answers(checklist),
                                   "signature_data": pad_drawing()})
    order = Order.objects.get()
    client.logout()
    page = client.get(reverse("portal:order", args=[order.link_token]))
    text = page_text(page)
    assert "Condition when you handed it in" in text
    assert 'data-check="Housing"' in text and "Dent on the left edge" in text
    assert "You signed the intake order on the tablet on" in text
