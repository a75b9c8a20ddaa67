from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A gapless counter for human numbers (orders, receipts, documents), one row per name."""

    name = models.CharField(max_length=50, primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"


class DocumentKind(models.TextChoices):
    INTAKE_ORDER = "intake_order", _("Intake order")
    ESTIMATE = "estimate", _("Estimate")
    RECEIPT = "receipt", _("Payment receipt")
    COMPLETION_CERTIFICATE = "completion_certificate", _("Completion certificate")
    WARRANTY_CARD = "warranty_card", _("Warranty card")
    DISPOSAL_ACT = "disposal_act", _("Disposal act")


# Printed before the number, so that "RC-000012" cannot be mistaken for an order number.
NUMBER_PREFIXES = {
    DocumentKind.INTAKE_ORDER: "IO",
    DocumentKind.ESTIMATE: "ES",
    DocumentKind.RECEIPT: "RC",
    DocumentKind.COMPLETION_CERTIFICATE: "CC",
    DocumentKind.WARRANTY_CARD: "WC",
    DocumentKind.DISPOSAL_ACT: "DA",
}


def document_path(document: "Document", filename: str) -> str:
    return f"documents/{document.issued_at:%Y}/{document.kind}/{filename}"


class Document(models.Model):
    """A document as issued: its page (HTML) and its PDF, with the PDF's SHA-256.

    The PDF is made from the page just after issuance (documents.issuing.ensure_pdf); until then
    `file` and `sha256` are empty. Recording them (and the claim of whoever makes the PDF) is the
    only change a document ever gets.

    Written once and never changed. A correction is a new document of the same kind whose
    `replaces` names the one it corrects and whose `correction` says what changed.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=DocumentKind.choices)
    # Each kind has its own gapless sequence (documents.issuing.issue_document).
    number = models.PositiveIntegerField(_("number"))
    # The orders the document is about: usually one; a disposal act may cover several.
    orders = models.ManyToManyField(
        "orders.Order", related_name="documents", blank=True, verbose_name=_("orders")
    )
    title = models.CharField(_("title"), max_length=200)
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    # Indexed: the orphan sweep (core/files.py) asks which stored names rows hold.
    file = models.FileField(_("PDF"), upload_to=document_path, max_length=200, blank=True,
                            db_index=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    # The page exactly as issued, from the same template and data as the PDF.
    html = models.TextField()
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by",
        verbose_name=_("replaces"),
    )
    correction = models.TextField(_("what the correction changes"), blank=True)
    # While its PDF is being made: by which worker round or download, and until when
    # (core/leases.py); after that another may make it.
    claim = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="document_number_per_kind"),
        ]
        indexes = [
            # The worker's round: the few documents whose PDF is still to be made.
            models.Index(fields=["id"], condition=models.Q(file=""), name="document_pdf_to_make"),
        ]

    def __str__(self) -> str:
        return self.display_number

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Issued documents are never changed; issue a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Issued documents are never deleted.")

    @property
    def display_number(self) -> str:
        return format_document_number(self.kind, self.number)

    @property
    def filename(self) -> str:
        return f"{self.display_number}.pdf"


def format_document_number(kind: str, number: int) -> str:
    return f"{NUMBER_PREFIXES.get(kind, 'DOC')}-{number:06d}"
