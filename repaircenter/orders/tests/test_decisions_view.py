"""The customer's decision as staff record it on the order page: POST staff:order_action.

Each channel has its own form and its own evidence: the telephone (what was said, and when),
email (the email's text), in person (a signature on the tablet's pad, or the printed decision
slip signed). Then the supplementary estimate written during the repair, through the pages.
"""

import base64
import html
import io
import re
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw

from repaircenter.conftest import flashes
from repaircenter.notifications.models import Message
from repaircenter.orders.dues import amount_due
from repaircenter.orders.models import (
    Estimate,
    EstimateKind,
    EstimateStatus,
    Order,
    OrderEvent,
    PendingSupplement,
    Status,
    UnrepairedReason,
)
from repaircenter.orders.workflow import TRANSITIONS

PAD_PROMPT = "Have the customer sign on the pad, or sign the printed decision slip"


def order_url(order: Order) -> str:
    return reverse("staff:order", args=[order.number])


def action_url(order: Order, name: str) -> str:
    return reverse("staff:order_action", args=[order.number, name])


def decide(client, order: Order, name: str, **data):
    """Submit one of the action's channel forms as the page draws it; return the page after."""
    order.refresh_from_db()
    current = order.estimates.filter(status=EstimateStatus.SENT).order_by("-number").first()
    data.setdefault("version", order.version)
    if current is not None:
        data.setdefault("estimate_id", current.pk)
    response = client.post(action_url(order, name), data)
    assert response.status_code == 302, response.content[:2000]
    assert response.url == order_url(order)
    return client.get(response.url)


def snapshot(order: Order) -> tuple:
    return (
        Order.objects.values_list("status", "version", "pending_supplement").get(pk=order.pk),
        list(Estimate.objects.filter(order=order).order_by("pk").values_list("status")),
        OrderEvent.objects.filter(order=order).count(),
        Message.objects.filter(order=order).count(),
    )


def stored_signatures(order: Order) -> list[str]:
    folder = f"signatures/{order.pk}"
    if not default_storage.exists(folder):
        return []
    return default_storage.listdir(folder)[1]


def assert_refused(page, order: Order, before: tuple, *words: str) -> str:
    levels = [level for level, _ in flashes(page)]
    assert levels == ["error"], flashes(page)
    error = flashes(page)[0][1]
    for word in words:
        assert word in error, error
    assert snapshot(order) == before
    return error


def last_event(order: Order) -> OrderEvent:
    return OrderEvent.objects.filter(order=order).latest("at", "pk")


def pad_png(size=(600, 180)) -> bytes:
    """What the pad's canvas gives: a transparent PNG with a dark stroke across it."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(30, 120), (120, 40), (210, 140), (330, 50), (520, 110)], fill=(17, 17, 17, 255),
              width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def data_url(raw: bytes, prefix: str = "data:image/png;base64,") -> str:
    return prefix + base64.b64encode(raw).decode()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` × `height` pixels, with next to no data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


@pytest.fixture
def reception(client, receptionist):
    client.force_login(receptionist)
    return client


@pytest.fixture
def awaiting(make_order):
    return make_order(Status.AWAITING_DECISION)


# --- each channel with its evidence ----------------------------------------------------------

TARGET = {"approve": Status.APPROVED, "refuse": Status.READY_UNREPAIRED}
ESTIMATE_AFTER = {"approve": EstimateStatus.APPROVED, "refuse": EstimateStatus.REFUSED}


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_by_telephone_what_was_said_and_when(reception, receptionist, awaiting, name):
    estimate = awaiting.estimates.get()
    page = decide(reception, awaiting, name, channel="phone",
                  said="Yes, go ahead, but call me if it is more than 60",
                  call_time="2024-03-05T14:05", note="Mrs Brown called back")
    assert flashes(page) == [("success", f"{TRANSITIONS[name].label}: done.")]
    awaiting.refresh_from_db()
    assert awaiting.status == TARGET[name]
    event = last_event(awaiting)
    assert (event.action, event.channel, event.actor, event.note) == (
        name, "phone", receptionist, "Mrs Brown called back",
    )
    assert event.evidence == {
        "said": "Yes, go ahead, but call me if it is more than 60",
        "call_time": "2024-03-05T14:05:00+00:00",  # read in the center's zone (London, GMT)
        "estimate": estimate.display_number,
    }
    assert Estimate.objects.get(pk=estimate.pk).status == ESTIMATE_AFTER[name]
    content = html.unescape(page.content.decode())
    assert "The customer said: “Yes, go ahead, but call me if it is more than 60”" in content


def test_a_call_time_left_empty_is_not_recorded_as_one(reception, awaiting):
    decide(reception, awaiting, "approve", channel="phone", said="Yes", call_time="")
    assert last_event(awaiting).evidence == {
        "said": "Yes", "estimate": awaiting.estimates.get().display_number,
    }


def test_a_call_time_that_is_not_a_date_is_400(reception, awaiting):
    before = snapshot(awaiting)
    response = reception.post(action_url(awaiting, "approve"), {
        "version": awaiting.version, "channel": "phone", "said": "Yes", "call_time": "teatime",
    })
    assert response.status_code == 400
    assert snapshot(awaiting) == before


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_by_email_the_emails_text(reception, receptionist, awaiting, name):
    text = "From: alice@example.com\nSubject: Re: estimate\n\nPlease <b>do</b> it."
    page = decide(reception, awaiting, name, channel="email", email_text=text, note="By email")
    assert [level for level, _ in flashes(page)] == ["success"]
    awaiting.refresh_from_db()
    assert awaiting.status == TARGET[name]
    event = last_event(awaiting)
    assert (event.action, event.channel, event.actor) == (name, "email", receptionist)
    assert event.evidence == {
        "email_text": text, "estimate": awaiting.estimates.get().display_number,
    }
    # Shown as text, never as markup.
    assert "Please <b>do</b> it." not in page.content.decode()
    assert "Please &lt;b&gt;do&lt;/b&gt; it." in page.content.decode()


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_in_person_a_signature_on_the_pad_is_stored_as_a_png(
    reception, receptionist, awaiting, name
):
    page = decide(reception, awaiting, name, channel="in_person",
                  signature_data=data_url(pad_png()), note="At the counter")
    assert [level for level, _ in flashes(page)] == ["success"]
    awaiting.refresh_from_db()
    assert awaiting.status == TARGET[name]
    event = last_event(awaiting)
    assert (event.action, event.channel, event.actor) == (name, "in_person", receptionist)
    path = event.evidence["signature_file"]
    assert event.evidence == {
        "signature_file": path,
        "estimate": awaiting.estimates.get().display_number,
    }
    assert path.startswith(f"signatures/{awaiting.pk}/") and path.endswith(".png")
    assert default_storage.exists(path)
    with default_storage.open(path, "rb") as stored, Image.open(stored) as image:
        assert image.format == "PNG"
        assert image.size == (600, 180)
        assert image.mode == "LA"  # re-encoded: greyscale and transparency, nothing else
    assert stored_signatures(awaiting) == [path.rsplit("/", 1)[1]]
    # The history shows the signature, served to staff only.
    address = reverse("staff:signature", args=[awaiting.number, event.pk])
    assert f'src="{address}"' in page.content.decode()
    response = reception.get(address)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    with default_storage.open(path, "rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    reception.logout()
    assert reception.get(address).status_code == 302


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_in_person_the_signed_printed_slip(reception, awaiting, name):
    page = decide(reception, awaiting, name, channel="in_person", signed_slip="on",
                  note="Signed the slip")
    assert [level for level, _ in flashes(page)] == ["success"]
    awaiting.refresh_from_db()
    assert awaiting.status == TARGET[name]
    event = last_event(awaiting)
    assert event.channel == "in_person"
    assert event.evidence == {
        "signed_slip": True, "estimate": awaiting.estimates.get().display_number,
    }
    assert stored_signatures(awaiting) == []
    assert "signed the printed decision slip" in page.content.decode().lower()
    # No pad drawing: no picture to serve.
    address = reverse("staff:signature", args=[awaiting.number, event.pk])
    assert reception.get(address).status_code == 404


def test_a_manager_may_record_a_decision_too(client, manager, awaiting):
    client.force_login(manager)
    decide(client, awaiting, "approve", channel="email", email_text="OK, do it.")
    assert last_event(awaiting).actor == manager


# --- missing or bad evidence -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["approve", "refuse"])
@pytest.mark.parametrize(
    ("channel", "data", "words"),
    [
        ("phone", {}, "Write down what the customer said on the telephone."),
        ("phone", {"said": ""}, "Write down what the customer said on the telephone."),
        ("phone", {"email_text": "an email is not a call"},
         "Write down what the customer said on the telephone."),
        ("email", {}, "Paste the text of the customer's email."),
        ("email", {"said": "She said so on the phone"}, "Paste the text of the customer's email."),
        ("in_person", {}, PAD_PROMPT),
        ("in_person", {"signature_data": ""}, PAD_PROMPT),
        ("in_person", {"said": "She nodded"}, PAD_PROMPT),
    ],
)
def test_missing_evidence_is_refused_and_nothing_changes(
    reception, awaiting, name, channel, data, words
):
    before = snapshot(awaiting)
    page = decide(reception, awaiting, name, channel=channel, note="Reason given", **data)
    assert_refused(page, awaiting, before, words)


@pytest.mark.parametrize(
    ("signature", "words"),
    [
        ("data:image/png;base64,AAAA", "The signature could not be read; ask for it again."),
        ("hello", "The signature did not come from the signature pad."),
        ("data:image/png;base64,not base64!", "The signature could not be read"),
        ("data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff").decode(),
         "did not come from the signature pad"),
        # A JPEG (or any other picture) dressed as the pad's PNG.
        (data_url((lambda out: (Image.new("RGB", (60, 20)).save(out, "JPEG"), out.getvalue())[1])(
            io.BytesIO())), "The signature is not a pad drawing."),
        # Bigger than any pad.
        (data_url(pad_png((2400, 300))), "The signature is not a pad drawing."),
        # A PNG header with no picture behind it.
        (data_url(png_header_only(600, 180)), "The signature could not be read"),
        (data_url(b"\x00" * (512 * 1024 + 1)), "The signature image is too large."),
    ],
)
@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_a_garbage_signature_is_refused_clearly_and_nothing_changes(
    reception, awaiting, name, signature, words
):
    before = snapshot(awaiting)
    page = decide(reception, awaiting, name, channel="in_person", signature_data=signature,
                  note="Reason given")
    assert_refused(page, awaiting, before, words)
    assert stored_signatures(awaiting) == []


def test_a_signature_claiming_a_giant_picture_is_refused_clearly(reception, awaiting):
    before = snapshot(awaiting)
    page = decide(reception, awaiting, "approve", channel="in_person",
                  signature_data=data_url(png_header_only(20_000, 20_000)))
    assert_refused(page, awaiting, before, "signature")


@pytest.mark.parametrize("note", ["", "   "])
@pytest.mark.parametrize(
    ("channel", "data"),
    [("phone", {"said": "No"}), ("email", {"email_text": "No thanks"}),
     ("in_person", {"signed_slip": "on"})],
)
def test_a_refusal_without_a_reason_is_refused(reception, awaiting, channel, data, note):
    before = snapshot(awaiting)
    page = decide(reception, awaiting, "refuse", channel=channel, note=note, **data)
    assert_refused(page, awaiting, before, "Write the customer's reason for refusing.")


def test_an_approval_needs_no_note(reception, awaiting):
    decide(reception, awaiting, "approve", channel="phone", said="Yes")
    assert Order.objects.get(pk=awaiting.pk).status == Status.APPROVED


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("refuse", {"note": ""}),  # no reason given
        ("approve", {"version": 1}),  # a stale page
    ],
)
def test_a_refused_decision_keeps_no_signature(reception, awaiting, name, data):
    before = snapshot(awaiting)
    page = decide(reception, awaiting, name, channel="in_person",
                  signature_data=data_url(pad_png()), **data)
    assert_refused(page, awaiting, before)
    assert stored_signatures(awaiting) == []


def test_a_role_that_may_not_decide_is_refused_before_any_evidence(client, technician, awaiting):
    client.force_login(technician)
    before = snapshot(awaiting)
    page = decide(client, awaiting, "approve", channel="phone", said="Yes")
    assert_refused(page, awaiting, before, "Your role does not allow")


def test_a_decision_on_a_state_that_takes_none_is_refused(reception, make_order):
    order = make_order(Status.REPAIRING)
    before = snapshot(order)
    page = decide(reception, order, "approve", channel="phone", said="Yes")
    assert_refused(page, order, before, "is repairing")


def test_an_estimate_of_another_order_is_refused(reception, awaiting, make_order):
    other = make_order(Status.AWAITING_DECISION)
    before = snapshot(awaiting)
    page = decide(reception, awaiting, "approve", channel="phone", said="Yes",
                  estimate_id=other.estimates.get().pk)
    error = assert_refused(page, awaiting, before, "no longer the one awaiting a decision")
    assert awaiting.estimates.get().display_number in error


# --- the supplementary estimate, through the pages -------------------------------------------


def write_and_send_supplement(client, order: Order, *, required: bool) -> Estimate:
    """As the technician does it: start from the order page, add a line, details, send."""
    editor = reverse("staff:estimate", args=[order.number])
    response = client.post(reverse("staff:estimate_start", args=[order.number]))
    assert response.url == editor
    draft = Estimate.objects.get(order=order, status=EstimateStatus.DRAFT)
    assert draft.kind == EstimateKind.SUPPLEMENT
    page = client.get(editor).content.decode()
    assert "Supplementary estimate" in page
    assert "The original repair cannot be finished without these lines" in page
    for address, data in [
        (reverse("staff:estimate_add_line", args=[order.number, draft.pk]),
         {"line_kind": "part", "description": "Battery", "quantity": "1", "unit_price": "35.00"}),
        (reverse("staff:estimate_details", args=[order.number, draft.pk]),
         {"repair_days": "2", "recommendation": "The battery is swollen.",
          **({"required_to_finish": "on"} if required else {})}),
    ]:
        response = client.post(address, data)
        assert response.status_code == 302 and response.url == editor
    order.refresh_from_db()
    response = client.post(reverse("staff:estimate_send", args=[order.number, draft.pk]),
                           {"version": order.version})
    assert response.status_code == 302 and response.url == order_url(order), flashes(
        client.get(editor))
    # The editor said what each step did; the last word is the sending.
    assert flashes(client.get(response.url))[-1] == (
        "success", f"Estimate {draft.display_number} sent to the customer.",
    )
    draft.refresh_from_db()
    return draft


def action_labels(client, order: Order) -> list[str]:
    """The labels of the <details> and buttons of the order page's actions section."""
    section = client.get(order_url(order)).content.decode().split(
        '<section class="actions">', 1)[1].split("</section>", 1)[0]
    found = re.findall(r"<summary[^>]*>([^<]*)</summary>", section)
    return [html.unescape(label) for label in found]


@pytest.mark.parametrize("required", [False, True])
def test_a_supplement_is_approved_and_the_repair_goes_on(
    client, technician, receptionist, make_order, required
):
    order = make_order(Status.REPAIRING)
    agreed = amount_due(order)
    client.force_login(technician)
    supplement = write_and_send_supplement(client, order, required=required)
    order.refresh_from_db()
    pending = PendingSupplement.REQUIRED if required else PendingSupplement.OPTIONAL
    assert (order.status, order.pending_supplement) == (Status.AWAITING_DECISION, pending)
    assert (supplement.status, supplement.required_to_finish) == (EstimateStatus.SENT, required)
    assert Message.objects.filter(order=order, event="estimate_ready").count() == 2

    client.force_login(receptionist)
    refusal = "refuse_required_supplement" if required else "refuse_supplement"
    assert action_labels(client, order) == [
        str(TRANSITIONS["approve_supplement"].label), str(TRANSITIONS[refusal].label),
    ]
    page = client.get(order_url(order)).content.decode()
    assert action_url(order, "approve") not in page and action_url(order, "refuse") not in page
    assert "supplementary" in page

    page = decide(client, order, "approve_supplement", channel="phone",
                  said="Yes, replace the battery too")
    assert flashes(page) == [
        ("success", f"{TRANSITIONS['approve_supplement'].label}: done."),
    ]
    order.refresh_from_db()
    assert (order.status, order.pending_supplement) == (Status.REPAIRING, "")
    assert Estimate.objects.get(pk=supplement.pk).status == EstimateStatus.APPROVED
    event = last_event(order)
    assert (event.action, event.channel) == ("approve_supplement", "phone")
    assert event.evidence["estimate"] == supplement.display_number
    # Its lines join the agreed works.
    assert amount_due(Order.objects.get(pk=order.pk)) == agreed + Decimal("35.00")


def test_an_optional_supplement_refused_and_the_repair_goes_on_without_it(
    client, technician, receptionist, make_order
):
    order = make_order(Status.REPAIRING)
    agreed = amount_due(order)
    client.force_login(technician)
    supplement = write_and_send_supplement(client, order, required=False)
    client.force_login(receptionist)
    page = decide(client, order, "refuse_supplement", channel="email",
                  email_text="No, just the port please.", note="Only the port")
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert (order.status, order.pending_supplement, order.unrepaired_reason) == (
        Status.REPAIRING, "", "",
    )
    assert Estimate.objects.get(pk=supplement.pk).status == EstimateStatus.REFUSED
    assert amount_due(order) == agreed
    assert last_event(order).action == "refuse_supplement"


def test_a_required_supplement_refused_returns_the_equipment_unrepaired(
    client, technician, receptionist, make_order
):
    order = make_order(Status.REPAIRING)
    client.force_login(technician)
    supplement = write_and_send_supplement(client, order, required=True)
    client.force_login(receptionist)
    page = decide(client, order, "refuse_required_supplement", channel="in_person",
                  signature_data=data_url(pad_png()), note="Will not pay for a battery")
    assert [level for level, _ in flashes(page)] == ["success"]
    order.refresh_from_db()
    assert (order.status, order.unrepaired_reason) == (
        Status.READY_UNREPAIRED, UnrepairedReason.REFUSED,
    )
    assert order.ready_at is not None
    assert Estimate.objects.get(pk=supplement.pk).status == EstimateStatus.REFUSED
    assert amount_due(order) == order.diagnostics_fee  # what the regulation charges
    assert Message.objects.filter(order=order, event="ready_unrepaired").count() == 1
    assert default_storage.exists(last_event(order).evidence["signature_file"])
    assert action_labels(client, order) == [str(TRANSITIONS["issue"].label)]


@pytest.mark.parametrize(
    ("required", "wrong"),
    [(False, "refuse_required_supplement"), (True, "refuse_supplement"), (False, "approve"),
     (True, "refuse")],
)
def test_the_wrong_kind_of_decision_on_a_supplement_is_refused(
    client, technician, receptionist, make_order, required, wrong
):
    order = make_order(Status.REPAIRING)
    client.force_login(technician)
    write_and_send_supplement(client, order, required=required)
    client.force_login(receptionist)
    before = snapshot(order)
    page = decide(client, order, wrong, channel="phone", said="Whatever", note="Reason")
    assert_refused(page, order, before, "supplementary estimate")
