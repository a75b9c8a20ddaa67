"""The intake form: POST /staff/intake/ makes the customer, the order and its pickup code."""

import datetime
import html
import io
import re
import time
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from repaircenter.customers.models import Customer
from repaircenter.orders import workflow
from repaircenter.orders.credentials import normalize_pickup_code, pickup_code_matches
from repaircenter.orders.models import (
    Equipment,
    EquipmentKind,
    EquipmentPhoto,
    Order,
    OrderEvent,
    Status,
)
from repaircenter.orders.workflow import Actor
from repaircenter.staff import intake_photos

pytestmark = pytest.mark.django_db

INTAKE_URL = reverse("staff:intake")
VALID_IMEI = "356938035643809"
PICKUP_CODE = re.compile(r'<div class="pickup-code">\s*([A-Z0-9]{5}-[A-Z0-9]{5})\s*</div>')


# --- helpers ----------------------------------------------------------------------------------


def form_data(**overrides) -> dict:
    """Everything a receptionist types for a phone handed in, as the browser posts it."""
    data = {
        "phone": "020 7946 0101",
        "name": "Alice Brown",
        "email": "alice@example.com",
        "channel_1": "sms",
        "channel_2": "email",
        "channel_3": "",
        "kind": str(EquipmentKind.objects.get(name="Phone").pk),
        "brand": "Samsung",
        "model": "Galaxy S23",
        "serial_number": "R5CW31ABCDE",
        "imei": "",
        "condition": "Scratched back",
        "accessories": "Blue case",
        "fault": "Does not charge",
        "intake_key": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return html.unescape(response.content.decode())


def shown_pickup_code(response) -> str:
    codes = PICKUP_CODE.findall(response.content.decode())
    assert len(codes) == 1, "the customer's copy shows exactly one pickup code"
    return codes[0]


def field_block(response, name: str) -> str:
    """The <label> that wraps the field `name`: its widget and its errors."""
    match = re.search(
        rf'<label for="id_{name}">(.*?)</label>', response.content.decode(), re.DOTALL
    )
    assert match, f"field {name} is not on the page"
    return html.unescape(match.group(1))


def image_file(name="photo.png", *, size=(64, 48), fmt="PNG", color=(200, 30, 30), **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def noisy_png(name="noisy.png", side=64) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.effect_noise((side, side), 80).convert("RGB").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def stored_files() -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_nothing_created():
    assert Order.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Equipment.objects.count() == 0
    assert EquipmentPhoto.objects.count() == 0
    assert OrderEvent.objects.count() == 0
    assert stored_files() == []


@pytest.fixture
def staff_client(client, receptionist):
    client.force_login(receptionist)
    return client


# --- a valid intake ---------------------------------------------------------------------------


def test_get_shows_the_form_with_a_fresh_intake_key(staff_client):
    first = staff_client.get(INTAKE_URL)
    second = staff_client.get(INTAKE_URL)
    assert first.status_code == 200
    keys = [
        re.search(r'name="intake_key" value="([0-9a-f-]{36})"', r.content.decode()).group(1)
        for r in (first, second)
    ]
    assert keys[0] != keys[1]
    assert 'name="phone"' in first.content.decode()


def test_valid_intake_creates_customer_equipment_order_and_event(staff_client, receptionist):
    response = staff_client.post(INTAKE_URL, form_data())

    assert response.status_code == 200
    order = Order.objects.get()
    assert order.status == Status.RECEIVED
    assert order.received_by == receptionist

    customer = Customer.objects.get()
    assert order.customer == customer
    assert str(customer.phone) == "+442079460101"
    assert customer.name == "Alice Brown"
    assert customer.email == "alice@example.com"
    assert customer.preferred_channels == ["sms", "email"]

    equipment = Equipment.objects.get()
    assert equipment.order == order
    assert equipment.kind.name == "Phone"
    assert (equipment.brand, equipment.model) == ("Samsung", "Galaxy S23")
    assert equipment.condition == "Scratched back"
    assert equipment.accessories == "Blue case"
    assert equipment.fault == "Does not charge"

    events = list(order.events.all())
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("take_in", "", Status.RECEIVED)
    ]
    assert events[0].actor == receptionist

    # The response is the intake order: the number, both copies, a pickup code.
    page = text(response)
    assert order.display_number in page
    assert 'data-copy="customer"' in page
    assert 'data-copy="center"' in page
    code = shown_pickup_code(response)
    assert pickup_code_matches(code, order.pickup_code_digest)
    assert "no-store" in response["Cache-Control"]


def test_pickup_code_is_kept_nowhere_in_the_database(staff_client):
    response = staff_client.post(INTAKE_URL, form_data())
    code = shown_pickup_code(response)
    order = Order.objects.get()
    assert pickup_code_matches(code, order.pickup_code_digest)
    assert normalize_pickup_code(code) not in order.pickup_code_digest.upper()

    forms_of_code = {code, normalize_pickup_code(code), code.lower()}
    for model in apps.get_models():
        for row in model._default_manager.values():
            dumped = repr(row)
            for form in forms_of_code:
                assert form not in dumped, f"pickup code readable in {model.__name__}: {row}"


def test_manager_may_take_in(client, manager):
    client.force_login(manager)
    response = client.post(INTAKE_URL, form_data())
    assert response.status_code == 200
    assert Order.objects.get().received_by == manager


# --- the customer: one per phone number -------------------------------------------------------


@pytest.mark.parametrize("typed", ["020 7946 0101", "+44 20 7946 0101", "02079460101"])
def test_phone_typed_any_way_reuses_the_customer_and_updates_details(staff_client, customer, typed):
    response = staff_client.post(
        INTAKE_URL,
        form_data(
            phone=typed,
            name="Alice Brown-Smith",
            email="alice.new@example.com",
            channel_1="email",
            channel_2="phone",
        ),
    )

    assert response.status_code == 200
    assert Customer.objects.count() == 1
    order = Order.objects.get()
    assert order.customer_id == customer.pk
    customer.refresh_from_db()
    assert str(customer.phone) == "+442079460101"
    assert customer.name == "Alice Brown-Smith"
    assert customer.email == "alice.new@example.com"
    assert customer.preferred_channels == ["email", "phone"]


def test_two_intakes_for_one_phone_make_two_orders_for_one_customer(staff_client):
    staff_client.post(INTAKE_URL, form_data(phone="020 7946 0101"))
    staff_client.post(INTAKE_URL, form_data(phone="+44 20 7946 0101", serial_number="OTHER1"))
    assert Order.objects.count() == 2
    assert Customer.objects.count() == 1
    first, second = Order.objects.order_by("number")
    assert second.number == first.number + 1


@pytest.mark.parametrize("typed", ["12345", "hello"])
def test_bad_phone_is_refused_with_a_message(staff_client, typed):
    response = staff_client.post(INTAKE_URL, form_data(phone=typed))

    assert response.status_code == 400
    block = field_block(response, "phone")
    assert "This is not a phone number we can reach" in block
    assert f'value="{typed}"' in block
    assert_nothing_created()


# --- required fields --------------------------------------------------------------------------

REQUIRED = ["phone", "name", "channel_1", "kind", "brand", "condition", "fault"]


@pytest.mark.parametrize("missing", REQUIRED)
def test_each_required_field_missing_is_refused_and_the_rest_is_kept(staff_client, missing):
    data = form_data(
        name="Bob Green",
        brand="Lenovo",
        model="ThinkPad T14",
        serial_number="PF3ABCD",
        condition="Dent on the lid",
        accessories="Charger",
        fault="No picture",
        channel_1="phone",
    )
    data[missing] = ""

    response = staff_client.post(INTAKE_URL, data)

    assert response.status_code == 400
    assert "This field is required." in field_block(response, missing)
    assert "Some fields need correcting" in text(response)
    assert_nothing_created()

    kept = {
        "phone": 'value="020 7946 0101"',
        "name": 'value="Bob Green"',
        "brand": 'value="Lenovo"',
        "model": 'value="ThinkPad T14"',
        "serial_number": 'value="PF3ABCD"',
        "condition": "Dent on the lid</textarea>",
        "accessories": "Charger</textarea>",
        "fault": "No picture</textarea>",
        "channel_1": 'value="phone" selected',
        "channel_2": 'value="email" selected',
        "kind": f'value="{data["kind"]}" selected',
    }
    for name, shown in kept.items():
        if name != missing:
            assert shown in field_block(response, name), f"{name} lost its value"
    # The same intake key goes back, so the corrected form is still one intake.
    assert f'value="{data["intake_key"]}"' in response.content.decode()


def test_missing_intake_key_is_refused(staff_client):
    response = staff_client.post(INTAKE_URL, form_data(intake_key=""))
    assert response.status_code == 400
    assert "intake_key" in response.context["form"].errors
    assert_nothing_created()


def test_inactive_kind_is_refused(staff_client):
    EquipmentKind.objects.filter(name="Phone").update(active=False)
    response = staff_client.post(INTAKE_URL, form_data())
    assert response.status_code == 400
    assert "Select a valid choice" in field_block(response, "kind")
    assert_nothing_created()


# --- IMEI and serial number -------------------------------------------------------------------


@pytest.mark.parametrize(
    "imei",
    [
        "356938035643808",  # wrong check digit
        "35693803564380",  # 14 digits
        "3569380356438090",  # 16 digits
        "35693803564380A",  # a letter
    ],
)
def test_bad_imei_is_refused(staff_client, imei):
    response = staff_client.post(INTAKE_URL, form_data(imei=imei))
    assert response.status_code == 400
    assert "An IMEI has 15 digits" in field_block(response, "imei")
    assert_nothing_created()


@pytest.mark.parametrize(
    "typed", [VALID_IMEI, "35 693803 564380 9", "35-693803-564380-9", "356938/03/564380/9"]
)
def test_valid_imei_is_stored_as_15_digits(staff_client, typed):
    response = staff_client.post(INTAKE_URL, form_data(imei=typed))
    assert response.status_code == 200
    assert Equipment.objects.get().imei == VALID_IMEI


def test_serial_number_is_stored_upper_case_without_spaces(staff_client):
    response = staff_client.post(INTAKE_URL, form_data(serial_number=" r5cw 31ab\tcde "))
    assert response.status_code == 200
    assert Equipment.objects.get().serial_number == "R5CW31ABCDE"


# --- notification channels --------------------------------------------------------------------


@pytest.mark.parametrize("position", ["channel_1", "channel_2", "channel_3"])
def test_email_as_channel_needs_an_address(staff_client, position):
    data = form_data(email="", channel_1="sms", channel_2="", channel_3="")
    data[position] = "email"
    response = staff_client.post(INTAKE_URL, data)
    assert response.status_code == 400
    assert "Email is chosen as a channel: enter the address." in field_block(response, "email")
    assert_nothing_created()


def test_no_email_is_fine_when_email_is_not_a_channel(staff_client):
    response = staff_client.post(
        INTAKE_URL, form_data(email="", channel_1="phone", channel_2="sms")
    )
    assert response.status_code == 200
    customer = Customer.objects.get()
    assert customer.email == ""
    assert customer.preferred_channels == ["phone", "sms"]


@pytest.mark.parametrize(
    "channels", [("sms", "sms", ""), ("sms", "", "sms"), ("email", "phone", "email")]
)
def test_the_same_channel_twice_is_refused(staff_client, channels):
    data = form_data(channel_1=channels[0], channel_2=channels[1], channel_3=channels[2])
    response = staff_client.post(INTAKE_URL, data)
    assert response.status_code == 400
    assert "Each notification channel can be chosen once." in text(response)
    assert_nothing_created()


# --- photos -----------------------------------------------------------------------------------


def test_png_is_stored_as_a_jpeg_no_larger_than_the_max_side(staff_client, settings):
    settings.PHOTO_MAX_SIDE = 100
    photo = image_file("back.png", size=(400, 200), fmt="PNG")

    response = staff_client.post(INTAKE_URL, form_data(photos=[photo]))

    assert response.status_code == 200
    stored = EquipmentPhoto.objects.get()
    assert stored.order == Order.objects.get()
    assert "back" not in stored.image.name
    with Image.open(stored.image.path) as image:
        assert image.format == "JPEG"
        assert image.size == (100, 50)


def test_jpeg_is_re_encoded_without_exif_and_turned_upright(staff_client):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.Orientation] = 6  # the camera was held on its side
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 31.0, 24.0)
    photo = image_file("scene.jpg", size=(300, 200), fmt="JPEG", exif=exif)
    with Image.open(io.BytesIO(photo.read())) as source:  # the source really carries EXIF
        assert source.getexif()[ExifTags.Base.Make] == "Canon"
        assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    photo.seek(0)

    response = staff_client.post(INTAKE_URL, form_data(photos=[photo]))

    assert response.status_code == 200
    stored = EquipmentPhoto.objects.get()
    raw = Path(stored.image.path).read_bytes()
    assert b"Exif" not in raw
    assert b"Canon" not in raw
    with Image.open(stored.image.path) as image:
        assert image.format == "JPEG"
        assert "exif" not in image.info
        assert dict(image.getexif()) == {}
        assert image.size == (200, 300)


def test_jpeg_comment_is_not_kept(staff_client):
    photo = image_file("scene.jpg", fmt="JPEG", comment=b"Taken at 221B Baker Street")
    response = staff_client.post(INTAKE_URL, form_data(photos=[photo]))
    assert response.status_code == 200
    raw = Path(EquipmentPhoto.objects.get().image.path).read_bytes()
    assert b"Baker Street" not in raw


def test_several_photos_up_to_the_limit_are_stored(staff_client, settings):
    settings.PHOTO_MAX_COUNT = 3
    photos = [image_file(f"p{i}.png", color=(i * 60, 0, 0)) for i in range(3)]
    response = staff_client.post(INTAKE_URL, form_data(photos=photos))
    assert response.status_code == 200
    assert EquipmentPhoto.objects.filter(order=Order.objects.get()).count() == 3
    # The photos; the center's copy of the intake order is stored as its page, its PDF made
    # after the request (documents.issuing.ensure_pdf).
    assert len([p for p in stored_files() if "photos" in p.parts]) == 3
    assert [p for p in stored_files() if "documents" in p.parts] == []
    assert Order.objects.get().documents.get().display_number == "IO-000001"


def test_more_photos_than_the_limit_are_refused(staff_client, settings):
    settings.PHOTO_MAX_COUNT = 2
    photos = [image_file(f"p{i}.png") for i in range(3)]
    response = staff_client.post(INTAKE_URL, form_data(photos=photos))
    assert response.status_code == 400
    assert "At most 2 photos per order." in field_block(response, "photos")
    assert_nothing_created()


def test_text_file_named_like_a_photo_is_refused(staff_client):
    fake = SimpleUploadedFile("photo.jpg", b"these are not pixels\n" * 20, "image/jpeg")
    response = staff_client.post(INTAKE_URL, form_data(photos=[image_file(), fake]))
    assert response.status_code == 400
    assert "photo.jpg is not an image" in field_block(response, "photos")
    assert "choose them again" in text(response)
    assert 'name="kept_photos"' not in response.content.decode()
    assert_nothing_created()


def test_photo_over_the_size_limit_is_refused(staff_client, settings):
    photo = noisy_png("big.png")
    settings.PHOTO_MAX_BYTES = photo.size - 1
    response = staff_client.post(INTAKE_URL, form_data(photos=[photo]))
    assert response.status_code == 400
    assert "big.png is larger than" in field_block(response, "photos")
    assert_nothing_created()


def test_photos_that_would_take_too_long_to_decode_are_refused_at_once(staff_client):
    """Eight 7000x7000 PNGs of a few KB each, each under the per-photo cap: decoding them took a
    worker past its timeout. Together they are over the request's budget: refused before any
    is decoded, in well under a second, with a message."""
    buffer = io.BytesIO()
    Image.new("1", (7000, 7000), 1).save(buffer, format="PNG")
    photos = [SimpleUploadedFile(f"p{i}.png", buffer.getvalue(), content_type="image/png")
              for i in range(8)]
    started = time.perf_counter()
    response = staff_client.post(INTAKE_URL, form_data(photos=photos))
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    assert "too large to take in together" in field_block(response, "photos")
    assert_nothing_created()
    assert elapsed < 1.0, elapsed


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(staff_client, settings):
    """A 6000x4000 JPEG counts 3000x2000 against the budget (decoded at half scale): three fit
    in a 20-megapixel budget where their full size (72) would not, and each is stored at the
    largest side allowed."""
    settings.PHOTO_MAX_REQUEST_PIXELS = 20_000_000
    photos = [image_file(f"p{i}.jpg", size=(6000, 4000), fmt="JPEG") for i in range(3)]
    response = staff_client.post(INTAKE_URL, form_data(photos=photos))
    assert response.status_code == 200
    assert EquipmentPhoto.objects.count() == 3
    for photo in EquipmentPhoto.objects.all():
        with Image.open(photo.image) as stored:
            assert max(stored.size) == settings.PHOTO_MAX_SIDE


def test_photo_exactly_at_the_size_limit_is_accepted(staff_client, settings):
    photo = noisy_png("big.png")
    settings.PHOTO_MAX_BYTES = photo.size
    response = staff_client.post(INTAKE_URL, form_data(photos=[photo]))
    assert response.status_code == 200
    assert EquipmentPhoto.objects.count() == 1


# --- a double-clicked submit ------------------------------------------------------------------


def test_same_intake_key_twice_makes_one_order_and_voids_the_first_code(staff_client):
    data = form_data()
    first = staff_client.post(INTAKE_URL, {**data, "photos": [image_file()]})
    second = staff_client.post(INTAKE_URL, {**data, "photos": [image_file()]})

    assert first.status_code == second.status_code == 200
    assert Order.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Equipment.objects.count() == 1
    assert EquipmentPhoto.objects.count() == 1
    order = Order.objects.get()
    assert order.events.filter(action="take_in").count() == 1
    assert order.events.filter(action="pickup_code_reissued").count() == 1

    assert "submitted twice" not in text(first)
    assert "This intake was submitted twice" in text(second)
    assert order.display_number in text(second)
    first_code, second_code = shown_pickup_code(first), shown_pickup_code(second)
    assert first_code != second_code
    assert pickup_code_matches(second_code, order.pickup_code_digest)
    assert not pickup_code_matches(first_code, order.pickup_code_digest)
    assert "no-store" in second["Cache-Control"]


def test_reposting_the_form_of_a_closed_order_is_not_a_server_error(
    staff_client, receptionist, technician
):
    data = form_data()
    first = staff_client.post(INTAKE_URL, data)
    code = shown_pickup_code(first)
    order = Order.objects.get()
    reception, tech = Actor.staff(receptionist), Actor.staff(technician)
    workflow.start_diagnosis(order=order, actor=tech)
    workflow.refuse(order=order, actor=reception, channel="phone",
                    evidence={"said": "No, thank you"}, note="Will buy a new one")
    workflow.issue(order=order, actor=reception, pickup_code=code)
    digest = Order.objects.get().pickup_code_digest

    again = staff_client.post(INTAKE_URL, data, follow=True)

    assert again.status_code == 200
    assert "already saved as order R-000001, which is now closed" in again.content.decode()
    assert Order.objects.count() == 1
    assert Order.objects.get().pickup_code_digest == digest


# --- who may take in --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["technician", "consultant", "cashier"])
def test_other_roles_may_not_take_in(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(INTAKE_URL).status_code == 403
    assert client.post(INTAKE_URL, form_data()).status_code == 403
    assert_nothing_created()


def test_anonymous_is_sent_to_login(client, db):
    for response in (client.get(INTAKE_URL), client.post(INTAKE_URL, form_data())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "next=" in response["Location"]
    assert_nothing_created()


# --- the customer look-up while the phone is typed --------------------------------------------

LOOKUP_URL = reverse("staff:customer_lookup")


@pytest.mark.parametrize(
    "typed", ["020 7946 0101", "+44 20 7946 0101", "02079460101", "+442079460101"]
)
def test_lookup_finds_a_returning_customer_typed_any_way(staff_client, customer, typed):
    response = staff_client.get(LOOKUP_URL, {"phone": typed})
    assert response.status_code == 200
    page = text(response)
    assert "Returning customer" in page
    assert "Alice Brown" in page
    assert "alice@example.com" in page
    assert "new one will be created" not in page


@pytest.mark.parametrize("typed", ["020 7946 0999", "+44 20 7946 0998"])
def test_lookup_of_an_unknown_phone_says_a_new_customer_is_made(staff_client, customer, typed):
    response = staff_client.get(LOOKUP_URL, {"phone": typed})
    assert response.status_code == 200
    page = text(response)
    assert "a new one will be created" in page
    assert "Returning customer" not in page
    assert "Alice Brown" not in page


@pytest.mark.parametrize("typed", ["0207", "hello"])
def test_lookup_says_nothing_before_the_number_is_typed(staff_client, customer, typed):
    page = text(staff_client.get(LOOKUP_URL, {"phone": typed}))
    assert "new one will be created" not in page and "not a phone number" not in page


@pytest.mark.parametrize("typed", [
    "020 7946 0999", "07700 900123", "+1 212 555 0123", "123456", "12345678", "hello world",
    "020 7946 09", "+44 20 7946 0101 99",
])
def test_lookup_and_intake_judge_a_phone_alike(staff_client, typed):
    """The look-up never promises a new customer for a number the submit then refuses, and
    says of a refused number what the form will say."""
    looked_up = text(staff_client.get(LOOKUP_URL, {"phone": typed}))
    submitted = staff_client.post(INTAKE_URL, form_data(phone=typed))
    refused = "not a phone number we can reach" in field_block(submitted, "phone") \
        if submitted.status_code == 400 else False
    message = ("This is not a phone number we can reach. Type it with its area code, or with "
               "+ and the country code.")
    if refused:
        assert message in looked_up and "new one will be created" not in looked_up
    else:
        assert submitted.status_code == 200
        assert "new one will be created" in looked_up and message not in looked_up


def test_lookup_is_refused_to_a_technician(client, technician, customer):
    client.force_login(technician)
    response = client.get(LOOKUP_URL, {"phone": "020 7946 0101"})
    assert response.status_code == 403
    assert b"Alice" not in response.content


def test_lookup_needs_a_login(client, customer):
    response = client.get(LOOKUP_URL, {"phone": "020 7946 0101"})
    assert response.status_code == 302
    assert b"Alice" not in response.content


# --- photos kept when the form comes back with an error ---------------------------------------


KEPT = re.compile(r'name="kept_photos" value="([0-9a-f]{32}\.jpg)"')


def staged_files() -> list[Path]:
    return [p for p in stored_files() if "intake-staging" in p.parts]


def test_photos_are_kept_when_the_form_comes_back_with_an_error(staff_client):
    data = form_data(phone="12345")
    first = staff_client.post(INTAKE_URL, {**data, "photos": [image_file("a.png"),
                                                              image_file("b.png")]})
    assert first.status_code == 400
    kept = KEPT.findall(first.content.decode())
    assert len(kept) == 2
    assert "The 2 photos you chose are kept too." in text(first)
    assert "choose them again" not in text(first)
    assert Order.objects.count() == 0 and len(staged_files()) == 2

    # Corrected and sent again, with one more photo: three saved with the order.
    second = staff_client.post(INTAKE_URL, {**data, "phone": "020 7946 0101",
                                            "kept_photos": kept, "photos": [image_file("c.png")]})
    assert second.status_code == 200
    order = Order.objects.get()
    assert order.photos.count() == 3
    assert staged_files() == []


def test_an_unticked_kept_photo_is_left_out(staff_client):
    data = form_data(name="")
    first = staff_client.post(INTAKE_URL, {**data, "photos": [image_file("a.png"),
                                                              image_file("b.png")]})
    kept = KEPT.findall(first.content.decode())
    staff_client.post(INTAKE_URL, {**data, "name": "Alice Brown", "kept_photos": kept[:1]})
    assert Order.objects.get().photos.count() == 1


def test_kept_photos_of_another_form_or_made_up_names_are_ignored(staff_client):
    first = staff_client.post(INTAKE_URL, {**form_data(name=""), "photos": [image_file()]})
    theirs = KEPT.findall(first.content.decode())
    mine = form_data()
    response = staff_client.post(INTAKE_URL, {
        **mine, "kept_photos": [*theirs, "../../secret.jpg", "0" * 32 + ".jpg"]})
    assert response.status_code == 200
    assert Order.objects.get().photos.count() == 0


def test_kept_photos_count_towards_the_limit(staff_client, settings):
    settings.PHOTO_MAX_COUNT = 2
    data = form_data(name="")
    first = staff_client.post(INTAKE_URL, {**data, "photos": [image_file("a.png"),
                                                              image_file("b.png")]})
    kept = KEPT.findall(first.content.decode())
    second = staff_client.post(INTAKE_URL, {**data, "name": "Alice Brown", "kept_photos": kept,
                                            "photos": [image_file("c.png")]})
    assert second.status_code == 400
    assert "At most 2 photos per order, with those kept." in field_block(second, "photos")
    assert Order.objects.count() == 0
    assert sorted(KEPT.findall(second.content.decode())) == sorted(kept)


def test_photos_kept_for_an_abandoned_form_are_deleted_later(staff_client):
    staff_client.post(INTAKE_URL, {**form_data(name=""), "photos": [image_file()]})
    [old] = staged_files()
    assert intake_photos.forget_abandoned(timezone.now() + datetime.timedelta(hours=23)) == 0
    assert intake_photos.forget_abandoned(
        timezone.now() + datetime.timedelta(days=1, minutes=1)) == 1
    assert staged_files() == [] and not old.exists()
