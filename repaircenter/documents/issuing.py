"""Issuing a document: the next number of its kind and the page from its template, stored in the
caller's transaction; the PDF of that page is made afterwards, once, and kept with its SHA-256.

The PDF is not made inside the transaction: WeasyPrint takes most of a second per page, which
the receptionist would wait at every intake and the cashier at every receipt. The page as
issued is what is fixed at issuance; the worker turns it into the PDF a moment later
(`render_pending`), and a download that comes first makes it then (`ensure_pdf`). A rollback
therefore leaves no file behind. The file goes to the storage (the data folder, or the bucket
of REPAIRCENTER_STORAGE_URL) before its row names it, and every download checks it against the
SHA-256 recorded then (`open_pdf`).

Whoever makes a PDF first claims the document with the lease of every worker queue
(core/leases.py), one document at a time, so two workers, or a worker and a download, never make
the same PDF at once: the second waits for the first one's file. One PDF is one step, so there is
nothing to renew; a maker that vanished (or took longer than PDF_LEASE) is taken over after the
lease, and its late file is dropped.

A document is never changed once issued. A correction is issued like any other document, with
`replaces` naming the one it corrects and `correction` saying what changed; the one replaced
stays, marked as replaced.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
import time
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.core.files import delete_unless_held
from repaircenter.core.leases import Lease
from repaircenter.core.models import CenterSettings

from .models import Document, DocumentKind
from .numbering import next_number

log = logging.getLogger("repaircenter.documents")


class DocumentError(Exception):
    """A document that cannot be issued as asked; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def template_for(kind: str) -> str:
    """One template per kind, for the printable page and the PDF alike."""
    return f"documents/{kind}.html"


def render_pdf(html: str) -> bytes:
    """The PDF of a page. The page carries its styles inline and its codes as inline SVG, so
    nothing is fetched."""
    return _weasyprint_html()(string=html, base_url=None).write_pdf()


def _weasyprint_html():
    """WeasyPrint's HTML class, imported here: it loads Pango, which only PDFs need.

    Importing WeasyPrint switches Pillow, for the whole process, to accepting truncated
    images; the photo and signature checks rely on Pillow refusing them, and the documents
    hold no raster images, so the setting is put back as it was.
    """
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = before
    return HTML


def issue_document(
    *,
    kind: str,
    title: str,
    context: dict[str, Any],
    orders: Iterable[Any] = (),
    issued_by=None,
    replaces: Document | None = None,
    correction: str = "",
    now: datetime.datetime | None = None,
) -> Document:
    """Number and store a document of `kind` about `orders` (none, one or several), its page
    rendered from the template; its PDF follows (`ensure_pdf`).

    Call inside the transaction that causes the document: a rollback gives the number back
    and leaves nothing behind.
    """
    if kind not in DocumentKind.values:
        raise DocumentError(f"unknown kind of document: {kind}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("issue_document must be called inside a transaction")
    if replaces is not None:
        if replaces.kind != kind:
            raise DocumentError(_("A correction must be of the same kind as what it replaces."))
        if Document.objects.filter(replaces=replaces).exists():
            raise DocumentError(
                _("%(number)s was already replaced; correct the latest version instead.")
                % {"number": replaces.display_number}
            )
        if not correction.strip():
            raise DocumentError(_("Say what the correction changes."))
    now = now or timezone.now()
    document = Document(
        kind=kind, number=next_number(f"document:{kind}"), title=title, issued_at=now,
        issued_by=issued_by, replaces=replaces, correction=correction.strip(),
    )
    document.html = render_to_string(
        template_for(kind),
        {**context, "document": document, "center": CenterSettings.load()},
    )
    document.save()
    document.orders.set(list(orders))
    return document


WAIT_POLL = 0.2  # seconds between two looks at a PDF someone else is making


def _to_make(now: datetime.datetime) -> Q:
    """Documents without their PDF that nobody is making (or whose maker's lease ran out)."""
    return Q(file="") & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))


def _claim(queryset) -> tuple[Lease, Document | None]:
    """Claim the first document of `queryset` whose PDF is to be made, for one PDF's time."""
    now = timezone.now()
    lease = Lease(Document, seconds=settings.PDF_LEASE)
    claimed = lease.claim(queryset.filter(_to_make(now)).order_by("pk"), due=_to_make(now),
                          limit=1, now=now)
    return lease, (claimed[0] if claimed else None)


def _make(document: Document, lease: Lease) -> bool:
    """Make the claimed document's PDF, store it, and record it if the lease still holds;
    otherwise (the lease ran out and another maker took over) drop the file. Returns whether
    it was recorded."""
    started = time.monotonic()
    try:
        pdf = render_pdf(document.html)
    except Exception:
        lease.release()  # the next round, or a download, may try again at once
        raise
    digest = hashlib.sha256(pdf).hexdigest()
    storage = document.file.storage
    # The file first, then the row that names it: a row never names a missing file. If the
    # row cannot be written, the file goes again at once (unless the database says the row
    # does name it after all); while the database is down, or if the process stops right
    # here, it stays for the orphan sweep (core/files.py).
    name = storage.save(document.file.field.generate_filename(document, document.filename),
                        ContentFile(pdf))
    try:
        recorded = lease.release([document.pk], file=name, sha256=digest)
    except BaseException:
        delete_unless_held([name], lambda names: set(Document.objects.filter(
            pk=document.pk, file__in=names).values_list("file", flat=True)), storage=storage)
        raise
    if not recorded:
        storage.delete(name)
        log.warning("documents: the PDF of %s took longer than its lease; another maker's "
                    "copy is kept", document)
        return False
    document.file.name, document.sha256 = name, digest
    log.info("documents: PDF of %s made in %s ms", document,
             int((time.monotonic() - started) * 1000))
    return True


def ensure_pdf(document: Document) -> Document:
    """`document` with its PDF: made now from the page as issued, unless it already is.

    The worker and a download may come for the same PDF at once: whoever claims the document
    makes it; the other waits for that file (or, if its maker vanished, takes over after the
    lease)."""
    while not document.file:
        lease, claimed = _claim(Document.objects.filter(pk=document.pk))
        if claimed is not None and _make(claimed, lease):
            document.file.name, document.sha256 = claimed.file.name, claimed.sha256
            break
        made = Document.objects.values("file", "sha256").get(pk=document.pk)
        if made["file"]:
            document.file.name, document.sha256 = made["file"], made["sha256"]
        else:
            time.sleep(WAIT_POLL)  # someone else is making it
    return document


class DamagedPdf(FileNotFoundError):
    """The stored PDF is not the one issued: its SHA-256 differs from the one recorded. It is
    not served: to the people downloading, it is as good as missing."""


def open_pdf(document: Document):
    """The document's PDF, open for reading (made first if the worker has not made it yet), for
    the three downloads: staff, the customer's page and the API. Its SHA-256 is checked against
    the one recorded at issuance before a byte goes out (a PDF is tens of kilobytes: it is read
    whole). FileNotFoundError if the recorded file is gone from the storage, DamagedPdf if it
    is not what was issued."""
    document = ensure_pdf(document)
    with document.file.open("rb") as handle:
        pdf = handle.read()
    if hashlib.sha256(pdf).hexdigest() != document.sha256:
        log.error("documents: the stored PDF of %s (%s) does not match its SHA-256; not served",
                  document, document.file.name)
        raise DamagedPdf(document.file.name)
    return io.BytesIO(pdf)


def render_pending(limit: int = 10, stop=None) -> int:
    """Make the PDFs of up to `limit` documents issued since the last round, oldest first,
    claiming one at a time; for the worker, which sets `stop` (a threading.Event) to be let go
    between two documents. Returns how many it made."""
    made = 0
    failed: list[int] = []
    for _round in range(limit):
        if stop is not None and stop.is_set():
            break
        lease, document = _claim(Document.objects.exclude(pk__in=failed))
        if document is None:
            break
        try:
            if _make(document, lease):
                made += 1
        except DatabaseError:
            # The database went away: the next documents would fail alike after a second of
            # rendering each, holding up the worker's other rounds; the worker waits and
            # tries again.
            raise
        except Exception:
            # One page WeasyPrint cannot render must not stop the others; a download will
            # show the error again.
            log.exception("documents: the PDF of %s could not be made", document)
            failed.append(document.pk)
    return made


def file_sha256(document: Document) -> str:
    """The SHA-256 of the stored file as it is now, to compare with the one recorded."""
    digest = hashlib.sha256()
    with document.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()
