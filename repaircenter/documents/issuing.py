"""Issuing a document: the next number of its kind, the page from its template, the PDF from
that page, both stored with the PDF's SHA-256, in the caller's transaction.

A document is never changed once issued. A correction is issued like any other document, with
`replaces` naming the one it corrects and `correction` saying what changed; the one replaced
stays, marked as replaced.
"""

from __future__ import annotations

import datetime
import hashlib
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
    """Number, render and store a document of `kind` about `orders` (none, one or several).

    Call inside the transaction that causes the document: a rollback gives the number back
    and leaves no row (the file written may stay behind, referenced by nothing).
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
    html = render_to_string(
        template_for(kind),
        {**context, "document": document, "center": CenterSettings.load()},
    )
    pdf = render_pdf(html)
    document.html = html
    document.sha256 = hashlib.sha256(pdf).hexdigest()
    document.file.save(document.filename, ContentFile(pdf), save=False)
    document.save()
    document.orders.set(list(orders))
    return document


def file_sha256(document: Document) -> str:
    """The SHA-256 of the stored file as it is now, to compare with the one recorded."""
    digest = hashlib.sha256()
    with document.file.open("rb") as handle:
        for chunk in iter(lambda: handle.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()
