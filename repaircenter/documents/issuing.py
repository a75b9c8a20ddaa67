"""Issuing a document: the next number of its kind and the page from its template, stored in the
caller's transaction; the PDF of that page is made afterwards, once, and kept with its SHA-256.

The PDF is not made inside the transaction: WeasyPrint takes most of a second per page, which
the receptionist would wait at every intake and the cashier at every receipt. The page as
issued is what is fixed at issuance; the worker turns it into the PDF a moment later
(`render_pending`), and a download that comes first makes it then (`ensure_pdf`). A rollback
therefore leaves no file behind.

A document is never changed once issued. A correction is issued like any other document, with
`replaces` naming the one it corrects and `correction` saying what changed; the one replaced
stays, marked as replaced.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

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


def ensure_pdf(document: Document) -> Document:
    """`document` with its PDF: made now from the page as issued, unless it already is.

    Two processes may make the same PDF at once (the worker and a download); the first to record
    its file wins, the other deletes its own copy and takes the winner's.
    """
    if document.file:
        return document
    pdf = render_pdf(document.html)
    digest = hashlib.sha256(pdf).hexdigest()
    storage = document.file.storage
    name = storage.save(document.file.field.generate_filename(document, document.filename),
                        ContentFile(pdf))
    recorded = Document.objects.filter(pk=document.pk, file="").update(file=name, sha256=digest)
    if not recorded:
        storage.delete(name)
        winner = Document.objects.values("file", "sha256").get(pk=document.pk)
        name, digest = winner["file"], winner["sha256"]
    document.file.name, document.sha256 = name, digest
    return document


def open_pdf(document: Document):
    """The document's PDF, open for reading (made first if the worker has not made it yet), for
    the three downloads: staff, the customer's page and the API. FileNotFoundError if the
    recorded file is gone from the disk."""
    return ensure_pdf(document).file.open("rb")


def render_pending(limit: int = 10, stop=None) -> int:
    """Make the PDFs of documents issued since the last round, oldest first; for the worker,
    which sets `stop` (a threading.Event) to be let go between two documents."""
    made = 0
    for document in Document.objects.filter(file="").order_by("pk")[:limit]:
        if stop is not None and stop.is_set():
            break
        try:
            ensure_pdf(document)
        except Exception:
            # One page WeasyPrint cannot render must not stop the others; a download will
            # show the error again.
            log.exception("documents: the PDF of %s could not be made", document)
            continue
        made += 1
    return made


def file_sha256(document: Document) -> str:
    """The SHA-256 of the stored file as it is now, to compare with the one recorded."""
    digest = hashlib.sha256()
    with document.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()
