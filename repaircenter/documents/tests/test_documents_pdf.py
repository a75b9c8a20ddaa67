"""Every kind of document an order gets, read back from its stored PDF with pdftotext: the
order number, the customer, the amounts and the dates are there, the pickup code is not, and
the stored SHA-256 is the file's. Each first page is also turned into a PNG with pdftoppm (in
$SCREENSHOT_DIR when set, to look at)."""

import datetime
import re
import shutil
import subprocess
import uuid
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from repaircenter.billing import services as billing
from repaircenter.centers.models import Center
from repaircenter.conftest import send_new_estimate, take_in
from repaircenter.core.calendar import center_date
from repaircenter.documents.issuing import (
    DocumentError,
    ensure_pdf,
    file_sha256,
    issue_document,
    render_pending,
)
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders import repair, workflow
from repaircenter.orders.credentials import format_pickup_code
from repaircenter.orders.documents import issue_receipt
from repaircenter.orders.models import EquipmentKind, EventChannel, Order, Status
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils (pdftotext, pdftoppm) is not installed",
)


def pdf_text(document: Document) -> str:
    """The PDF's text, as pdftotext reads it, every run of white space (line ends included)
    folded into one space, so that wrapped phrases and table cells compare."""
    ensure_pdf(document)
    result = subprocess.run(["pdftotext", "-layout", document.file.path, "-"],  # noqa: S607
                            capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


def to_png(document: Document, folder, name: str) -> None:
    ensure_pdf(document)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2",  # noqa: S607
                    document.file.path, str(folder / name)], check=True)
    assert list(folder.glob(f"{name}*.png")), "pdftoppm made no page"


@pytest.fixture
def center(db):
    center = Center.default()  # the orders' center heads their papers
    center.name, center.address = "Fixit Camden", "4 Parkway, London NW1 7AA"
    center.phone, center.email = "020 7946 0000", "desk@fixit.example"
    center.save()
    return center


@pytest.fixture
def issued(center, customer, receptionist, technician, cashier, phone_kind):
    """A phone taken in, repaired in two lines (a part with its serial), failed its first test,
    passed the second, paid in two parts, issued with the pickup code."""
    EquipmentKind.objects.filter(pk=phone_kind.pk).update(warranty_months=6)
    tech, desk = Actor.staff(technician), Actor.staff(receptionist)
    intake = take_in(receptionist, customer, serial="R5CW31ABCDE", imei="490154203237518")
    order = intake.order
    workflow.start_diagnosis(order=order, actor=tech)
    send_new_estimate(order, technician, lines=(("Replace the charging port", "1", "30.00"),
                                                ("USB-C charging port flex", "2", "18.25")))
    workflow.approve(order=order, actor=desk, channel=EventChannel.PHONE,
                     evidence={"said": "Go ahead"})
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("20.00"),
                           method="card", idempotency_key=uuid.uuid4(), note="Prepayment")
    workflow.start_repair(order=order, actor=tech)
    for line in workflow.lines_not_done(order):
        serials = "FLX-88231, FLX-88232" if "flex" in line.description else ""
        repair.mark_line_done(order=order, actor=tech, line_id=line.pk, part_serials=serials)
    workflow.finish_works(order=order, actor=tech)
    workflow.record_test(order=order, actor=tech, passed=False, note="Stops charging at 40 %",
                         run=workflow.TestRun(procedure="Charge from 5 % to 100 %",
                                              duration_minutes=120, name="Charge cycle"))
    workflow.finish_works(order=order, actor=tech)
    workflow.record_test(order=order, actor=tech, passed=True, note="Charged to 100 % in 95 min",
                         run=workflow.TestRun(procedure="Charge from 5 % to 100 %",
                                              duration_minutes=120, name="Charge cycle",
                                              measurements="Peak 31 °C"))
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("46.50"),
                           method="cash", idempotency_key=uuid.uuid4())
    workflow.issue(order=Order.objects.get(pk=order.pk), actor=desk,
                   pickup_code=intake.pickup_code)
    order = Order.objects.get(pk=order.pk)
    order._pickup_code = intake.pickup_code
    return order


def document(order, kind) -> Document:
    return order.documents.filter(kind=kind).order_by("pk").last()


@needs_poppler
def test_every_stored_pdf_matches_its_sha256_and_renders(issued, shots):
    documents = list(issued.documents.order_by("pk"))
    assert [d.kind for d in documents] == [
        DocumentKind.INTAKE_ORDER, DocumentKind.ESTIMATE, DocumentKind.RECEIPT,
        DocumentKind.RECEIPT, DocumentKind.COMPLETION_CERTIFICATE, DocumentKind.WARRANTY_CARD,
    ]
    # Issued without their PDFs; the worker's round makes them, oldest first.
    assert not any(doc.file or doc.sha256 for doc in documents)
    assert render_pending() == len(documents)
    assert render_pending() == 0
    documents = list(issued.documents.order_by("pk"))
    for doc in documents:
        assert doc.file.read(5) == b"%PDF-"
        doc.file.close()
        assert len(doc.sha256) == 64
        assert file_sha256(doc) == doc.sha256
        text = pdf_text(doc)
        assert issued.display_number in text, doc.kind
        assert "Alice Brown" in text, doc.kind
        assert "Fixit Camden" in text, doc.kind
        assert doc.display_number in text, doc.kind
        # The pickup code is on the customer's paper only.
        code = issued._pickup_code
        assert code not in text and format_pickup_code(code) not in text, doc.kind
        assert code not in doc.html and format_pickup_code(code) not in doc.html
        to_png(doc, shots, f"document-{doc.kind}-{doc.number}")


@needs_poppler
def test_the_intake_order_is_the_centers_copy(issued):
    text = pdf_text(document(issued, DocumentKind.INTAKE_ORDER))
    assert "Center's copy" in text
    assert "Customer's copy" not in text and "Pickup code" not in text
    assert issued.received_at.astimezone(timezone.get_current_timezone()).strftime("%-d %B %Y") \
        in text
    assert "R5CW31ABCDE" in text and "Does not charge" in text
    assert "Terms of service" in text


@needs_poppler
def test_the_estimate(issued):
    estimate = issued.estimates.get()
    text = pdf_text(document(issued, DocumentKind.ESTIMATE))
    assert estimate.display_number in text
    for amount in ("30.00 GBP", "18.25 GBP", "36.50 GBP", "66.50 GBP"):
        assert amount in text, amount
    assert estimate.sent_at.astimezone(timezone.get_current_timezone()).strftime("%-d %B %Y") \
        in text
    due = estimate.decision_due.astimezone(timezone.get_current_timezone())
    assert due.strftime("%-d %B %Y") in text


@needs_poppler
def test_the_receipts_count_what_was_paid_and_what_is_left(issued, cashier):
    first, second = issued.payments.order_by("pk")
    text = pdf_text(first.receipt)
    assert "Payment receipt" in text
    assert "Received: 20.00 GBP" in text
    assert "Card" in text and "Prepayment" in text
    assert re.search(r"Agreed works and parts\s+66\.50 GBP", text)
    assert re.search(r"Balance due\s+46\.50 GBP", text)
    assert first.taken_at.astimezone(timezone.get_current_timezone()).strftime("%d.%m.%Y") in text
    assert "Cass" in text  # who took it
    text = pdf_text(second.receipt)
    assert "Received: 46.50 GBP" in text
    assert re.search(r"Paid in total, this receipt included\s+66\.50 GBP", text)
    assert re.search(r"Balance due\s+0\.00 GBP", text)


@needs_poppler
def test_the_completion_certificate(issued):
    text = pdf_text(document(issued, DocumentKind.COMPLETION_CERTIFICATE))
    assert "Repaired, tested and handed over" in text
    assert "Replace the charging port" in text and "USB-C charging port flex" in text
    assert "FLX-88231, FLX-88232" in text
    assert "Charge cycle" in text and "Failed" in text and "Passed" in text
    assert "Stops charging at 40 %" in text and "Peak 31 °C" in text
    assert "66.50 GBP" in text and re.search(r"Balance due\s+0\.00 GBP", text)
    zone = timezone.get_current_timezone()
    assert issued.received_at.astimezone(zone).strftime("%-d %B %Y") in text
    assert issued.issued_at.astimezone(zone).strftime("%-d %B %Y") in text


@needs_poppler
def test_the_warranty_card_runs_from_issuance(issued):
    text = pdf_text(document(issued, DocumentKind.WARRANTY_CARD))
    start = center_date(issued.issued_at)
    until = start + relativedelta(months=6) - datetime.timedelta(days=1)
    assert "Warranty card" in text
    assert "490154203237518" in text and "R5CW31ABCDE" in text  # the equipment's identity
    assert text.count("6 months") == 2  # one per repaired line
    assert text.count(until.strftime("%-d %B %Y")) == 2
    assert start.strftime("%-d %B %Y") in text
    assert "FLX-88231" in text


@needs_poppler
def test_returned_unrepaired_after_paying_the_fee_gets_certificate_and_receipt(
    make_order, cashier, receptionist, phone_kind, center
):
    EquipmentKind.objects.filter(pk=phone_kind.pk).update(diagnostics_fee=Decimal("15.00"))
    order = make_order(Status.READY_UNREPAIRED)
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("15.00"),
                           method="cash", idempotency_key=uuid.uuid4())
    workflow.issue(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                   pickup_code=order._pickup_code)
    assert not order.documents.filter(kind=DocumentKind.WARRANTY_CARD).exists()
    text = pdf_text(document(order, DocumentKind.COMPLETION_CERTIFICATE))
    assert "Returned to the customer unrepaired" in text
    assert "The customer refused the repair" in text
    assert re.search(r"Diagnostics fee\s+15\.00 GBP", text)
    text = pdf_text(document(order, DocumentKind.RECEIPT))
    assert "Diagnostics fee, order" in text and "Received: 15.00 GBP" in text


@needs_poppler
def test_a_refund_receipt_says_why(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("45.00"),
                           method="card", idempotency_key=uuid.uuid4())
    result = billing.record_refund(order=order, actor=Actor.staff(cashier),
                                   amount=Decimal("5.00"), method="cash",
                                   reason="Goodwill for the delay", idempotency_key=uuid.uuid4())
    text = pdf_text(result.payment.receipt)
    assert "Refund receipt" in text and "Paid back: 5.00 GBP" in text
    assert "Goodwill for the delay" in text
    assert re.search(r"Balance due\s+5\.00 GBP", text)


# --- never changed; corrections --------------------------------------------------------------


def test_a_document_is_never_changed_or_deleted(issued):
    doc = document(issued, DocumentKind.WARRANTY_CARD)
    doc.title = "Changed"
    with pytest.raises(ValidationError):
        doc.save()
    with pytest.raises(ValidationError):
        doc.delete()
    assert Document.objects.get(pk=doc.pk).title != "Changed"


@needs_poppler
def test_a_correction_is_a_new_document_that_says_what_it_replaces(issued, manager):
    old = document(issued, DocumentKind.RECEIPT)
    payment = old.payment
    with transaction.atomic():
        with pytest.raises(DocumentError):
            issue_document(kind=DocumentKind.RECEIPT, title="x", context={}, replaces=old)
        new = issue_document(
            kind=DocumentKind.RECEIPT, title=old.title, orders=[issued], issued_by=manager,
            context={"order": issued, "payment": payment, "charged": Decimal("66.50"),
                     "paid": Decimal("66.50"), "balance": Decimal("0"),
                     "balance_abs": Decimal("0"), "shown_amount": payment.amount},
            replaces=old, correction="The method was card, not cash.",
        )
    assert new.number > old.number and new.replaces == old
    text = pdf_text(new)
    assert f"This document replaces {old.display_number}" in text
    assert "The method was card, not cash." in text
    # The one replaced stays as it was; it cannot be replaced twice.
    assert file_sha256(ensure_pdf(old)) == old.sha256
    with transaction.atomic(), pytest.raises(DocumentError) as raised:
        issue_document(kind=DocumentKind.RECEIPT, title="x", context={}, replaces=old,
                       correction="Again")
    assert "already replaced" in raised.value.message
    with transaction.atomic(), pytest.raises(DocumentError):
        issue_document(kind=DocumentKind.WARRANTY_CARD, title="x", context={}, replaces=old,
                       correction="Other kind")


def test_a_document_may_cover_several_orders_or_none(make_order, manager):
    one, two = make_order(Status.RECEIVED), make_order(Status.RECEIVED)
    with transaction.atomic():
        # A disposal act's own template is issue 7's; any kind's numbering and storage work.
        both = issue_document(kind=DocumentKind.RECEIPT, title="Two orders", orders=[one, two],
                              issued_by=manager, context={"order": one, "payment": None})
        none = issue_document(kind=DocumentKind.RECEIPT, title="No order", issued_by=manager,
                              context={"payment": None})
    assert set(both.orders.all()) == {one, two}
    assert not none.orders.exists()
    assert none.number == both.number + 1


def test_a_rolled_back_receipt_gives_its_number_back(make_order, cashier):
    order = make_order(Status.READY_REPAIRED)
    from repaircenter.billing.models import Payment

    before = Document.objects.filter(kind=DocumentKind.RECEIPT).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_receipt(payment=Payment(order=order, amount=Decimal("1"), method="cash",
                                      taken_by=cashier, taken_at=timezone.now()))
        raise RuntimeError("the payment failed after its receipt")
    assert Document.objects.filter(kind=DocumentKind.RECEIPT).count() == before
    billing.record_payment(order=order, actor=Actor.staff(cashier), amount=Decimal("1"),
                           method="cash", idempotency_key=uuid.uuid4())
    numbers = sorted(Document.objects.filter(kind=DocumentKind.RECEIPT)
                     .values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))  # gapless


# --- the staff views -------------------------------------------------------------------------


def test_staff_download_the_pdf_and_print_the_page(client, issued, consultant):
    doc = document(issued, DocumentKind.WARRANTY_CARD)
    client.force_login(consultant)  # any staff role reads documents
    response = client.get(reverse("staff:document_pdf", args=[issued.number, doc.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    import hashlib

    doc.refresh_from_db()  # made by this first download
    assert hashlib.sha256(body).hexdigest() == doc.sha256
    assert "no-store" in response["Cache-Control"]
    download = client.get(reverse("staff:document_pdf", args=[issued.number, doc.pk]),
                          {"download": "1"})
    assert f'attachment; filename="{doc.filename}"' == download["Content-Disposition"]
    page = client.get(reverse("staff:document_page", args=[issued.number, doc.pk]))
    content = page.content.decode()
    assert 'class="screen-only toolbar"' in content and "data-print" in content
    head, body = doc.html.split("<body>", 1)
    assert content.startswith(head + "<body>") and content.endswith(body)


def test_documents_need_a_login_and_the_right_order(client, issued, make_order, receptionist):
    doc = document(issued, DocumentKind.WARRANTY_CARD)
    url = reverse("staff:document_pdf", args=[issued.number, doc.pk])
    assert client.get(url).status_code == 302  # to the login
    other = make_order(Status.RECEIVED)
    client.force_login(receptionist)
    assert client.get(reverse("staff:document_pdf", args=[other.number, doc.pk])
                      ).status_code == 404
    assert client.get(reverse("staff:document_page", args=[other.number, doc.pk])
                      ).status_code == 404


def test_the_order_page_lists_the_documents(client, issued, receptionist):
    client.force_login(receptionist)
    content = client.get(reverse("staff:order", args=[issued.number])).content.decode()
    section = content.split('<section id="documents">', 1)[1].split("</section>", 1)[0]
    for doc in issued.documents.all():
        assert doc.display_number in section
        assert reverse("staff:document_pdf", args=[issued.number, doc.pk]) in section
    assert section.count("<tr>") == 1 + 6


def test_rendering_leaves_pillow_refusing_truncated_images():
    """WeasyPrint's import would make Pillow accept truncated images everywhere; the photo and
    signature checks depend on it refusing them."""
    from PIL import ImageFile

    from repaircenter.documents.issuing import render_pdf

    assert render_pdf("<p>x</p>").startswith(b"%PDF-")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
