from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 12, "decimal_places": 2}


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class Payment(models.Model):
    """Money received for an order (a positive amount) or given back (a refund: negative).

    Written once, never changed: a mistake is put right by a refund or a further payment.
    """

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    # Required for a refund: why the money goes back.
    reason = models.TextField(_("reason"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # The payment form's hidden key: the same key twice is one payment (a double click, a
    # retried request).
    idempotency_key = models.UUIDField(unique=True, editable=False)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("taken"))
    receipt = models.OneToOneField(
        "documents.Document", on_delete=models.PROTECT, related_name="payment",
    )

    class Meta:
        ordering = ["taken_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="payment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Payments are never changed; record a refund instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Payments are never deleted; record a refund instead.")

    @property
    def is_refund(self) -> bool:
        return self.amount < Decimal("0")

    @property
    def receipt_number(self) -> str:
        return self.receipt.display_number
