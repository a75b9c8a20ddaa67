"""Issued PDFs in the S3-compatible bucket (a real S3 server on loopback: moto in server mode):
written there by the worker, served only through the product's views, checked against their
SHA-256 when served; and, in either storage, no object is left without its row when the row
cannot be written, and a database error ends the PDF round."""

import hashlib

import pytest
from django.db import OperationalError
from django.urls import reverse

from repaircenter.conftest import take_in
from repaircenter.core.leases import Lease
from repaircenter.documents import issuing
from repaircenter.documents.issuing import ensure_pdf, render_pending
from repaircenter.documents.models import Document, DocumentKind

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)  # closes the response at the end


@pytest.fixture
def intake(receptionist, customer):
    result = take_in(receptionist, customer)
    return result.order, result.order.documents.get(kind=DocumentKind.INTAKE_ORDER)


def test_the_worker_writes_the_pdf_to_the_bucket_and_every_view_serves_it(
        s3_bucket, intake, client, receptionist, settings):
    order, document = intake
    assert s3_bucket.names() == []
    assert render_pending() == 1
    stored = Document.objects.get(pk=document.pk)
    assert s3_bucket.names() == [stored.file.name]
    pdf = s3_bucket.get(stored.file.name)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == stored.sha256
    assert not (settings.MEDIA_ROOT / stored.file.name).exists()  # nothing in the data folder

    # The customer's link, no login (once the phone's last four digits are given).
    response = customer_download(client, order, document)
    assert response.status_code == 200 and body(response) == pdf
    # Staff, logged in.
    staff_url = reverse("staff:document_pdf", args=[order.number, document.pk])
    assert client.get(staff_url).status_code == 302  # to the login page
    client.force_login(receptionist)
    response = client.get(staff_url)
    assert response.status_code == 200 and body(response) == pdf
    assert response["Cache-Control"] == "private, no-store"


def customer_download(client, order, document):
    """The customer's download: the last four digits of their phone first, then the PDF."""
    url = reverse("portal:document", args=[order.link_token, document.pk])
    client.post(url, {"digits": str(order.customer.phone)[-4:]})
    return client.get(url)


def test_the_objects_are_private_and_any_url_is_signed_and_short_lived(s3_bucket, intake):
    from urllib.parse import parse_qs, urlsplit

    from django.core.files.storage import default_storage

    render_pending()
    name = Document.objects.get(pk=intake[1].pk).file.name
    acl = s3_bucket.client.get_object_acl(Bucket=s3_bucket.name, Key=s3_bucket.prefix + name)
    assert [grant["Grantee"].get("URI", "") for grant in acl["Grants"]
            if "AllUsers" in grant["Grantee"].get("URI", "")] == []
    query = parse_qs(urlsplit(default_storage.url(name)).query)
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query


def test_a_pdf_that_is_not_the_one_issued_is_not_served(s3_bucket, intake, client, receptionist,
                                                       caplog):
    order, document = intake
    render_pending()
    stored = Document.objects.get(pk=document.pk)
    s3_bucket.put(stored.file.name, b"%PDF-1.7 something else entirely")

    response = customer_download(client, order, document)
    assert response.status_code == 404
    client.force_login(receptionist)
    assert client.get(reverse("staff:document_pdf", args=[order.number, document.pk])
                      ).status_code == 404
    assert "does not match its SHA-256" in caplog.text


def test_a_pdf_damaged_in_the_data_folder_is_not_served_either(intake, settings):
    _order, document = intake
    render_pending()
    stored = Document.objects.get(pk=document.pk)
    (settings.MEDIA_ROOT / stored.file.name).write_bytes(b"%PDF tampered")
    with pytest.raises(issuing.DamagedPdf):
        issuing.open_pdf(stored)


def test_an_object_whose_row_may_be_missing_is_never_left_behind(s3_bucket, intake, monkeypatch):
    """The database went away between writing the PDF and recording it: the object goes too,
    so the bucket holds nothing no row names (issue 21 item 2)."""
    _order, document = intake

    def database_gone(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Lease, "release", database_gone)
    with pytest.raises(OperationalError):
        ensure_pdf(Document.objects.get(pk=document.pk))
    assert s3_bucket.names() == []
    assert Document.objects.get(pk=document.pk).file.name == ""


def test_the_same_in_the_data_folder(intake, monkeypatch, settings):
    _order, document = intake
    monkeypatch.setattr(Lease, "release", lambda self, *a, **k: (_ for _ in ()).throw(
        OperationalError("server closed the connection unexpectedly")))
    with pytest.raises(OperationalError):
        ensure_pdf(Document.objects.get(pk=document.pk))
    root = settings.MEDIA_ROOT / "documents"
    assert not root.exists() or [p for p in root.rglob("*") if p.is_file()] == []


def test_a_database_error_ends_the_pdf_round(intake, receptionist, customer, monkeypatch):
    """The round does not go on rendering document after document while the database is down:
    the first error ends it (the worker then waits and tries again)."""
    take_in(receptionist, customer, serial="SECOND")  # a second document to make
    rendered = []
    real_render = issuing.render_pdf
    monkeypatch.setattr(issuing, "render_pdf",
                        lambda html: rendered.append(html) or real_render(html))
    monkeypatch.setattr(Lease, "release", lambda self, *a, **k: (_ for _ in ()).throw(
        OperationalError("the database system is shutting down")))
    with pytest.raises(OperationalError):
        render_pending()
    assert len(rendered) == 1


def test_a_row_written_whose_answer_was_lost_keeps_its_object(s3_bucket, intake, monkeypatch):
    """The UPDATE that records the PDF reached the database, then the connection dropped: the
    database names the object, so it stays (a row never names a missing object)."""
    _order, document = intake
    real_release = Lease.release

    def answer_lost(self, *args, **kwargs):
        real_release(self, *args, **kwargs)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Lease, "release", answer_lost)
    with pytest.raises(OperationalError):
        ensure_pdf(Document.objects.get(pk=document.pk))
    stored = Document.objects.get(pk=document.pk)
    assert stored.file.name and s3_bucket.names() == [stored.file.name]
    assert hashlib.sha256(s3_bucket.get(stored.file.name)).hexdigest() == stored.sha256
