"""One maker per PDF (core/leases.py): two workers' rounds and a download at once make each PDF
once, a download waits for the worker already making it, a maker that vanished is taken over
and its late file dropped, and a page that cannot be made is let go. WeasyPrint is replaced by a
slow stand-in that notes what it makes: what is tested is who makes it, not the PDF."""

import datetime
import hashlib
import logging
import threading
import time
from collections import Counter

import pytest
from django.db import connections, transaction
from django.utils import timezone

from repaircenter.documents import issuing
from repaircenter.documents.models import Document, DocumentKind


class SlowRenderer:
    """Stands in for WeasyPrint: takes `seconds` per PDF, notes each page it makes, and fails
    if two makers work on one page at once."""

    def __init__(self, seconds: float = 0.2, fail_for: str = ""):
        self.seconds = seconds
        self.fail_for = fail_for
        self.made: list[str] = []
        self.under_way: set[str] = set()
        self.overlaps: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, html: str) -> bytes:
        with self.lock:
            if html in self.under_way:
                self.overlaps.append(html)
            self.under_way.add(html)
        try:
            time.sleep(self.seconds)
            if self.fail_for and self.fail_for in html:
                raise ValueError("WeasyPrint could not lay out this page")
            with self.lock:
                self.made.append(html)
                return b"%PDF-1.7 " + hashlib.sha256(f"{html}{len(self.made)}".encode()).digest()
        finally:
            with self.lock:
                self.under_way.discard(html)


def receipt(title: str) -> Document:
    with transaction.atomic():
        return issuing.issue_document(kind=DocumentKind.RECEIPT, title=title,
                                      context={"payment": None})


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT / "documents"
    return sorted(p for p in root.rglob("*.pdf")) if root.exists() else []


def in_threads(*jobs) -> list:
    """Run each job in a thread of its own (its own database connection), all at once; returns
    what each returned, and raises the first error one of them raised."""
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_and_a_download_at_once_make_each_pdf_once(settings, monkeypatch):
    renderer = SlowRenderer()
    monkeypatch.setattr(issuing, "render_pdf", renderer)
    documents = [receipt(f"Receipt {n}") for n in range(6)]
    wanted = documents[-1]  # the one the worker would come to last

    made_by_one, made_by_two, downloaded = in_threads(
        issuing.render_pending, issuing.render_pending,
        lambda: issuing.ensure_pdf(Document.objects.get(pk=wanted.pk)),
    )
    assert renderer.overlaps == []
    assert sorted(Counter(renderer.made).values()) == [1] * 6  # each page made once
    stored = {d.pk: d for d in Document.objects.all()}
    assert all(d.file and d.sha256 and not d.claim and d.lease_until is None
               for d in stored.values())
    assert (downloaded.file.name, downloaded.sha256) == (
        stored[wanted.pk].file.name, stored[wanted.pk].sha256)
    assert made_by_one + made_by_two in (5, 6)  # the download may have made the last one
    assert len(stored_files(settings)) == 6


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_download_waits_for_the_worker_already_making_the_pdf(settings, monkeypatch):
    renderer = SlowRenderer(seconds=0.6)
    monkeypatch.setattr(issuing, "render_pdf", renderer)
    document = receipt("Wanted")

    def download_once_the_worker_has_it():
        deadline = time.monotonic() + 10
        while not Document.objects.filter(pk=document.pk).exclude(claim="").exists():
            assert time.monotonic() < deadline, "the worker never claimed the document"
            time.sleep(0.01)
        return issuing.ensure_pdf(Document.objects.get(pk=document.pk))

    made, downloaded = in_threads(issuing.render_pending, download_once_the_worker_has_it)
    assert made == 1 and len(renderer.made) == 1  # the download made nothing itself
    stored = Document.objects.get(pk=document.pk)
    assert (downloaded.file.name, downloaded.sha256) == (stored.file.name, stored.sha256)
    assert len(stored_files(settings)) == 1


def test_a_maker_that_vanished_is_taken_over_and_its_late_file_dropped(
    db, settings, monkeypatch
):
    renderer = SlowRenderer(seconds=0)
    monkeypatch.setattr(issuing, "render_pdf", renderer)
    document = receipt("Taken over")
    late_lease, late_copy = issuing._claim(Document.objects.filter(pk=document.pk))
    assert late_copy.pk == document.pk
    assert issuing.render_pending() == 0  # someone is making it: nothing for the worker
    # Its maker stopped answering; its lease runs out.
    Document.objects.filter(pk=document.pk).update(
        lease_until=timezone.now() - datetime.timedelta(seconds=1))
    downloaded = issuing.ensure_pdf(Document.objects.get(pk=document.pk))
    assert downloaded.file and len(renderer.made) == 1

    assert issuing._make(late_copy, late_lease) is False  # it wakes up and finishes: too late
    stored = Document.objects.get(pk=document.pk)
    assert (stored.file.name, stored.sha256) == (downloaded.file.name, downloaded.sha256)
    assert stored_files(settings) == [settings.MEDIA_ROOT / stored.file.name]


def test_a_page_that_cannot_be_made_is_let_go_and_the_others_are_made(
    db, settings, monkeypatch, caplog
):
    renderer = SlowRenderer(seconds=0, fail_for="Broken")
    monkeypatch.setattr(issuing, "render_pdf", renderer)
    broken, fine = receipt("Broken"), receipt("Fine")
    with caplog.at_level(logging.ERROR, logger="repaircenter.documents"):
        assert issuing.render_pending() == 1  # tried once this round, not once per slot
    assert any(r.exc_info for r in caplog.records)
    broken.refresh_from_db()
    fine.refresh_from_db()
    assert (broken.file.name, broken.claim, broken.lease_until) == ("", "", None)
    assert fine.file and fine.sha256
    # A download tries again at once, and says why it cannot.
    with pytest.raises(ValueError, match="could not lay out"):
        issuing.ensure_pdf(broken)
    assert Document.objects.get(pk=broken.pk).claim == ""
