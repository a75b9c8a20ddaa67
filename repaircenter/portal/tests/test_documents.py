"""The order's documents on the customer's page, /o/<token>/documents/<id>/: the PDFs issued for
that order, each downloadable through its link once the browser has given the last four digits
of the phone on the order (the documents show personal data in full); another order's document,
a disposal act (it lists other customers' orders) or an unknown one answer the link's 404
page."""

import hashlib
import secrets

import pytest

from repaircenter.core import ratelimit
from repaircenter.documents.models import DocumentKind
from repaircenter.orders import workflow
from repaircenter.orders.models import Status
from repaircenter.orders.workflow import Actor

from .conftest import order_url, visible_text

pytestmark = pytest.mark.django_db


DIGITS = "0101"  # the customer fixture's phone is +44 20 7946 0101


def document_url(order, document) -> str:
    return f"/o/{order.link_token}/documents/{document.pk}/"


def unlock(client, order, document, digits=DIGITS):
    return client.post(document_url(order, document), {"digits": digits})


def download(client, order, document):
    unlock(client, order, document)
    return client.get(document_url(order, document))


def pdf_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_issued_documents_are_listed_and_download_as_the_pdf_issued(client, make_order):
    order = make_order(Status.ISSUED)
    documents = list(order.documents.order_by("issued_at", "pk"))
    kinds = {d.kind for d in documents}
    assert {DocumentKind.INTAKE_ORDER, DocumentKind.ESTIMATE, DocumentKind.RECEIPT,
            DocumentKind.COMPLETION_CERTIFICATE} <= kinds

    page = client.get(order_url(order))
    text = visible_text(page)
    for document in documents:
        assert f"{document.get_kind_display()} {document.display_number}" in text
        assert f'/o/{order.link_token}/documents/{document.pk}/' in page.content.decode()

    for document in documents:
        response = download(client, order, document)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="{document.filename}"' in response["Content-Disposition"]
        body = pdf_bytes(response)
        assert body.startswith(b"%PDF")
        document.refresh_from_db()  # the download made the PDF, if the worker had not yet
        assert hashlib.sha256(body).hexdigest() == document.sha256
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]


def test_another_orders_document_is_not_found_through_this_link(client, make_order):
    mine, theirs = make_order(Status.RECEIVED), make_order(Status.RECEIVED)
    their_document = theirs.documents.get()
    response = download(client, mine, their_document)
    assert response.status_code == 404
    assert "This link does not work" in visible_text(response)
    assert download(client, theirs, their_document).status_code == 200


def test_a_disposal_act_is_neither_listed_nor_downloadable(client, make_order):
    order = make_order(Status.DISPOSED)
    # The act the manager's confirmation issued; one act may list other customers' orders.
    act = order.documents.get(kind=DocumentKind.DISPOSAL_ACT)
    page = client.get(order_url(order)).content.decode()
    assert f"/documents/{act.pk}/" not in page
    assert download(client, order, act).status_code == 404


def test_an_unknown_document_or_link_is_not_found(client, make_order):
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    assert client.get(f"/o/{order.link_token}/documents/999999/").status_code == 404
    assert client.get(f"/o/{secrets.token_urlsafe(24)}/documents/{document.pk}/").status_code \
        == 404
    assert client.put(f"/o/{order.link_token}/documents/{document.pk}/").status_code == 405


# --- the last four digits of the phone before the documents open ------------------------------


def test_the_link_alone_does_not_open_a_document(client, make_order):
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    response = client.get(document_url(order, document))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"%PDF" not in response.content
    assert "last four digits of the phone number" in visible_text(response)
    assert order.customer.name not in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_wrong_digits_open_nothing_and_say_so(client, make_order):
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    for digits, message in (("9999", "These are not the last four digits"),
                            ("12", "Type the last four digits"), ("", "Type the last four")):
        response = unlock(client, order, document, digits)
        assert response.status_code == 400
        assert message in visible_text(response)
        assert f"rc_documents_{order.pk}" not in response.cookies
    assert b"%PDF" not in client.get(document_url(order, document)).content


def test_the_right_digits_open_every_document_of_this_link_only(client, make_order):
    order, other = make_order(Status.ISSUED), make_order(Status.RECEIVED)
    first, *rest = order.documents.all()
    response = unlock(client, order, first)
    assert response.status_code == 302 and response.url == document_url(order, first)
    cookie = response.cookies[f"rc_documents_{order.pk}"]
    assert cookie["httponly"] and cookie["path"] == f"/o/{order.link_token}/"
    for document in (first, *rest):
        opened = client.get(document_url(order, document))
        assert opened["Content-Type"] == "application/pdf"
    # Another order's documents still ask.
    other_document = other.documents.get()
    assert b"%PDF" not in client.get(document_url(other, other_document)).content


def test_a_replaced_link_forgets_the_digits(client, make_order, receptionist):
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    response = unlock(client, order, document)
    cookie = response.cookies[f"rc_documents_{order.pk}"].value
    workflow.replace_portal_link(order=order, actor=Actor.staff(receptionist))
    order.refresh_from_db()
    client.cookies[f"rc_documents_{order.pk}"] = cookie
    assert b"%PDF" not in client.get(document_url(order, document)).content


def test_guessing_the_digits_is_stopped(client, make_order, monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)  # one window throughout
    order = make_order(Status.RECEIVED)
    document = order.documents.get()
    answers = [unlock(client, order, document, f"{n:04d}").status_code for n in range(11)]
    assert answers[:10] == [400] * 10 and answers[10] == 429
    # Even the right digits wait, from this address.
    assert unlock(client, order, document).status_code == 429
