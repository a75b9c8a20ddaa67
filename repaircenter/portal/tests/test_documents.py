"""The order's documents on the customer's page, /o/<token>/documents/<id>/: the PDFs issued for
that order, each downloadable through its link; another order's document, a disposal act (it
lists other customers' orders) or an unknown one answer the link's 404 page."""

import hashlib
import secrets

import pytest

from repaircenter.documents.models import DocumentKind
from repaircenter.orders.models import Status

from .conftest import order_url, visible_text

pytestmark = pytest.mark.django_db


def download(client, order, document):
    return client.get(f"/o/{order.link_token}/documents/{document.pk}/")


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
    assert client.post(f"/o/{order.link_token}/documents/{document.pk}/").status_code == 405
