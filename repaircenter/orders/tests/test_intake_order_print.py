"""The printed intake order (center's copy; reprint of the customer's copy) and the label."""

import datetime
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import time_machine
from django.urls import reverse

from repaircenter.centers.models import Center
from repaircenter.conftest import pay_balance
from repaircenter.core.models import CenterSettings
from repaircenter.documents.codes import barcode_svg, qr_svg
from repaircenter.documents.models import Document
from repaircenter.orders import workflow
from repaircenter.orders.credentials import normalize_pickup_code, pickup_code_matches
from repaircenter.orders.models import Order, Status
from repaircenter.orders.workflow import Actor

pytestmark = pytest.mark.django_db

SITE = "https://repairs.example.com"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) is not installed")
PICKUP_CODE = re.compile(r'<div class="pickup-code">\s*([A-Z0-9]{5}-[A-Z0-9]{5})\s*</div>')


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def text(response) -> str:
    return html.unescape(response.content.decode())


def url(name: str, order: Order) -> str:
    return reverse(f"staff:{name}", args=[order.number])


def shown_pickup_code(response) -> str:
    codes = PICKUP_CODE.findall(response.content.decode())
    assert len(codes) == 1
    return codes[0]


def reissue_events(order: Order) -> int:
    return order.events.filter(action="pickup_code_reissued").count()


# --- the center's copy ------------------------------------------------------------------------


def test_center_copy_has_no_pickup_code(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)

    response = client.get(url("intake_order", order))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-copy="center"' in content
    assert 'data-copy="customer"' not in content
    assert 'class="pickup-code"' not in content
    code = order._pickup_code
    assert code not in content
    assert f"{code[:5]}-{code[5:]}" not in content
    assert barcode_svg(code) not in content
    assert content.count("<svg") == 0  # neither the link's QR nor the barcode
    assert order.display_number in content
    assert "Alice Brown" in content


def test_center_copy_prints_the_terms_from_the_center_settings(client, receptionist, make_order):
    order = make_order()
    chain = CenterSettings.load()
    chain.terms = "Terms rewritten by the manager: we keep parts we replace for 30 days."
    chain.save()
    Center.objects.filter(pk=order.center_id).update(name="Fixit Camden")
    client.force_login(receptionist)

    page = text(client.get(url("intake_order", order)))

    assert "Terms rewritten by the manager: we keep parts we replace for 30 days." in page
    assert "Fixit Camden" in page


def test_center_copy_shows_only_the_start_of_the_link(client, technician, make_order):
    """The link is whole on the customer's copy only; the center's shows its first characters."""
    order = make_order()
    client.force_login(technician)

    response = client.get(url("intake_order", order))

    link = f"{SITE}/o/{order.link_token}/"
    content = response.content.decode()
    assert link not in content and order.link_token not in content
    assert qr_svg(link) not in content
    assert f"{SITE}/o/{order.link_token[:6]}…/" in content
    assert "no-store" in response["Cache-Control"]


def test_intake_order_needs_a_login(client, make_order):
    order = make_order()
    for response in (
        client.get(url("intake_order", order)),
        client.post(url("intake_order", order)),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert reissue_events(order) == 0


# --- reprinting the customer's copy -----------------------------------------------------------


@pytest.mark.parametrize("role", ["receptionist", "manager"])
def test_reprint_shows_both_copies_with_a_new_code(client, request, make_order, role):
    order = make_order()
    old_code = order._pickup_code
    user = request.getfixturevalue(role)
    client.force_login(user)

    response = client.post(url("intake_order", order))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-copy="customer"' in content
    assert 'data-copy="center"' in content
    assert "no-store" in response["Cache-Control"]
    new_code = shown_pickup_code(response)
    assert normalize_pickup_code(new_code) != old_code
    assert barcode_svg(normalize_pickup_code(new_code)) in content
    link = f"{SITE}/o/{order.link_token}/"
    assert content.count(qr_svg(link)) == 1  # on the customer's copy only

    order.refresh_from_db()
    assert pickup_code_matches(new_code, order.pickup_code_digest)
    assert not pickup_code_matches(old_code, order.pickup_code_digest)
    event = order.events.get(action="pickup_code_reissued")
    assert event.actor == user
    assert event.from_status == event.to_status == Status.RECEIVED


def test_reprinted_code_issues_the_order_and_the_old_one_no_longer(
    client, receptionist, cashier, make_order
):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, cashier)
    old_code = order._pickup_code
    client.force_login(receptionist)

    new_code = shown_pickup_code(client.post(url("intake_order", order)))

    order.refresh_from_db()
    actor = Actor.staff(receptionist)
    with pytest.raises(workflow.Refused):
        workflow.issue(order=order, actor=actor, pickup_code=old_code)
    order.refresh_from_db()
    assert order.status == Status.READY_REPAIRED
    workflow.issue(order=order, actor=actor, pickup_code=new_code)
    order.refresh_from_db()
    assert order.status == Status.ISSUED


def test_reprint_of_an_issued_order_is_refused(client, receptionist, make_order):
    order = make_order(Status.ISSUED)
    digest = order.pickup_code_digest
    events = order.events.count()
    client.force_login(receptionist)

    response = client.post(url("intake_order", order))

    assert response.status_code == 302
    assert response["Location"] == url("order", order)
    assert 'class="pickup-code"' not in response.content.decode()
    page = text(client.get(response["Location"]))
    assert "This order is closed; its customer's copy cannot be reprinted." in page
    order.refresh_from_db()
    assert order.pickup_code_digest == digest
    assert order.events.count() == events


@pytest.mark.parametrize("role", ["technician", "consultant", "cashier"])
def test_reprint_by_other_roles_is_refused(client, request, make_order, role):
    order = make_order()
    digest = order.pickup_code_digest
    events = order.events.count()
    client.force_login(request.getfixturevalue(role))

    response = client.post(url("intake_order", order), follow=True)

    assert response.redirect_chain == [(url("order", order), 302)]
    assert "Your role does not allow printing the customer's copy." in text(response)
    assert not PICKUP_CODE.search(response.content.decode())
    order.refresh_from_db()
    assert order.pickup_code_digest == digest
    assert pickup_code_matches(order._pickup_code, order.pickup_code_digest)
    assert order.events.count() == events


def test_unknown_order_is_404(client, receptionist):
    client.force_login(receptionist)
    assert client.get(reverse("staff:intake_order", args=[999999])).status_code == 404
    assert client.post(reverse("staff:intake_order", args=[999999])).status_code == 404
    assert client.get(reverse("staff:label", args=[999999])).status_code == 404


# --- the label --------------------------------------------------------------------------------


def test_label_shows_number_surname_and_qr(client, technician, make_order):
    order = make_order()
    client.force_login(technician)

    response = client.get(url("label", order))

    assert response.status_code == 200
    content = response.content.decode()
    assert order.display_number in content
    assert 'class="label-name">Brown<' in content
    # The label leads staff to the order's page; the customer's link is not on the equipment.
    assert qr_svg(f"{SITE}/staff/orders/{order.number}/") in content
    assert order.link_token not in content
    assert content.count("<svg") == 1
    assert order._pickup_code not in content


# --- the customer's copy as a PDF, made on the fly while its code is fresh ------------------


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(content)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"],  # noqa: S607
                            capture_output=True, check=True, text=True)
    return " ".join(result.stdout.split())


def stored_files(settings) -> set:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@needs_poppler
def test_the_customers_copy_pdf_carries_the_fresh_code_and_is_not_stored(
    client, receptionist, make_order, settings, tmp_path
):
    order = make_order()
    client.force_login(receptionist)
    page = client.post(url("intake_order", order))  # a reprint: a fresh code on screen
    code = normalize_pickup_code(shown_pickup_code(page))
    assert f'name="pickup_code" value="{code}"' in page.content.decode()
    documents, files = Document.objects.count(), stored_files(settings)

    response = client.post(url("customer_copy_pdf", order), {"pickup_code": code})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert "customers-copy" in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "Customer's copy" in text and "Pickup code" in text
    assert f"{code[:5]}-{code[5:]}" in text
    assert f"{SITE}/o/{order.link_token}/" in text
    # Made on the fly: no document row, no file written.
    assert Document.objects.count() == documents
    assert stored_files(settings) == files


def test_the_customers_copy_pdf_refuses_a_voided_code(client, receptionist, make_order):
    order = make_order()
    old = order._pickup_code
    client.force_login(receptionist)
    client.post(url("intake_order", order))  # reprinted: the first code is void

    response = client.post(url("customer_copy_pdf", order), {"pickup_code": old}, follow=True)

    assert response.redirect_chain[-1][0] == url("order", order)
    assert "no longer the order's" in text(response)


def test_the_customers_copy_pdf_only_while_the_code_is_fresh(
    client, receptionist, make_order
):
    order = make_order()
    later = order.events.get(action="take_in").at + datetime.timedelta(minutes=31)
    client.force_login(receptionist)
    with time_machine.travel(later, tick=False):
        response = client.post(url("customer_copy_pdf", order),
                               {"pickup_code": order._pickup_code}, follow=True)
    assert response.redirect_chain[-1][0] == url("order", order)
    assert "only kept on screen for 30 minutes" in text(response)


@pytest.mark.parametrize("role", ["technician", "consultant", "cashier"])
def test_other_roles_get_no_customers_copy_pdf(client, request, make_order, role):
    order = make_order()
    client.force_login(request.getfixturevalue(role))
    response = client.post(url("customer_copy_pdf", order), {"pickup_code": order._pickup_code})
    assert response.status_code == 403


def test_the_customers_copy_pdf_is_not_had_by_get(client, receptionist, make_order):
    order = make_order()
    client.force_login(receptionist)
    assert client.get(url("customer_copy_pdf", order)).status_code == 405
    assert client.post(url("customer_copy_pdf", order), {}).status_code == 400
