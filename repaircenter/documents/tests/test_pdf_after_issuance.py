"""The PDF is made after the issuing transaction, once: by the worker's round or by the first
download, whichever comes first. Nothing is written to disk for a document that was rolled
back, and two makers at once keep one file."""

import hashlib

import pytest
from django.core.management import call_command
from django.db import transaction

from repaircenter.documents.issuing import ensure_pdf, file_sha256, issue_document, render_pending
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders.models import Status


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT / "documents"
    return sorted(p for p in root.rglob("*.pdf")) if root.exists() else []


def receipt(title: str, orders=()) -> Document:
    with transaction.atomic():
        return issue_document(kind=DocumentKind.RECEIPT, title=title, orders=orders,
                              context={"payment": None})


def test_issuing_stores_the_page_and_no_pdf_yet(make_order, settings):
    order = make_order(Status.RECEIVED)  # the intake order was issued at intake
    intake = order.documents.get(kind=DocumentKind.INTAKE_ORDER)
    assert intake.html.lower().startswith("<!doctype html>") and order.display_number in intake.html
    assert (intake.file.name, intake.sha256) == ("", "")
    assert stored_files(settings) == []


def test_a_rolled_back_document_leaves_no_file(db, settings):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_document(kind=DocumentKind.RECEIPT, title="Lost", context={"payment": None})
        raise RuntimeError("the payment failed after its receipt")
    assert not Document.objects.exists()
    assert render_pending() == 0
    assert stored_files(settings) == []


def test_the_pdf_is_made_once_and_its_digest_recorded(db, settings):
    document = receipt("Once")
    ensure_pdf(document)
    assert document.file.name.endswith(f"/receipt/{document.filename}")
    assert file_sha256(document) == document.sha256
    stored = Document.objects.get(pk=document.pk)
    assert (stored.file.name, stored.sha256) == (document.file.name, document.sha256)
    # A second call, or the worker's round, makes nothing more.
    ensure_pdf(stored)
    assert render_pending() == 0
    assert stored_files(settings) == [settings.MEDIA_ROOT / stored.file.name]


def test_two_makers_at_once_keep_the_first_file(db, settings):
    """The worker and a download both loaded the document before either recorded its PDF."""
    document = receipt("Raced")
    worker_copy, download_copy = (Document.objects.get(pk=document.pk) for _ in range(2))
    ensure_pdf(worker_copy)
    ensure_pdf(download_copy)  # makes a PDF too, loses the race, drops its own file
    assert download_copy.file.name == worker_copy.file.name
    assert download_copy.sha256 == worker_copy.sha256
    assert stored_files(settings) == [settings.MEDIA_ROOT / worker_copy.file.name]


def test_the_round_takes_the_oldest_first_and_at_most_its_limit(db):
    first, second, third = (receipt(title) for title in ("First", "Second", "Third"))
    assert render_pending(limit=2) == 2
    made = dict(Document.objects.values_list("pk", "sha256"))
    assert made[first.pk] and made[second.pk] and not made[third.pk]
    assert render_pending(limit=2) == 1


def test_the_round_stops_between_two_documents_when_asked(db):
    """SIGTERM during a round: the worker lets go after the PDF it is making."""
    import threading

    class StopAfterOne(threading.Event):
        checks = 0

        def is_set(self):
            self.checks += 1
            return self.checks > 1

    for title in ("First", "Second", "Third"):
        receipt(title)
    assert render_pending(stop=StopAfterOne()) == 1
    assert Document.objects.filter(file="").count() == 2


def test_the_worker_makes_the_pdfs_of_what_was_issued(make_order):
    order = make_order(Status.AWAITING_DECISION)  # an intake order and an estimate
    call_command("worker", once=True)
    documents = list(order.documents.all())
    assert {d.kind for d in documents} == {DocumentKind.INTAKE_ORDER, DocumentKind.ESTIMATE}
    for document in documents:
        with document.file.open("rb") as handle:
            pdf = handle.read()
        assert pdf.startswith(b"%PDF-")
        assert hashlib.sha256(pdf).hexdigest() == document.sha256


def test_a_document_still_refuses_any_other_change(db):
    document = ensure_pdf(receipt("Fixed"))
    document.title = "Changed"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        document.save()
    assert Document.objects.get(pk=document.pk).title == "Fixed"
