"""Parts and stock: the catalogue, the stock of each part at each center with its ledger of
movements, suppliers and purchase orders.

Stock sits below orders (orders reserve, use and release parts through `services`); it
imports no order code. A movement names the order it served by the order's id only
(`order_ref`), so the two apps' migrations do not depend on each other in a circle.

`StockLevel` holds on hand and reserved for a part at a center; every change to it is a
compare-and-set UPDATE written in the same transaction as its `Movement`, so the level always
equals the sum of its ledger (a test checks it), and check constraints keep it never negative
and never reserving more than is on hand.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from repaircenter.centers.models import Center

MONEY = {"max_digits": 12, "decimal_places": 2}
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class Part(models.Model):
    """A part of the catalogue, the same for every center of the chain."""

    sku = models.CharField(_("part code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    fits = models.TextField(
        _("fits"), blank=True,
        help_text=_("The kinds of equipment, brands and models it fits, separated by commas."),
    )
    purchase_cost = models.DecimalField(_("purchase cost"), validators=NOT_NEGATIVE, **MONEY)
    selling_price = models.DecimalField(_("selling price"), validators=NOT_NEGATIVE, **MONEY)
    minimum = models.PositiveIntegerField(_("minimum level"), default=0)
    serial_tracked = models.BooleanField(_("each unit has a serial number"), default=False)
    # The warranty on the part once fitted, from the issuance; empty: the kind of equipment's.
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True, validators=[MaxValueValidator(120)],
        help_text=_("Empty: the warranty of the kind of equipment it is fitted in."),
    )
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("part")

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class StockLevel(models.Model):
    """How many units of a part a center holds, and how many of those are promised to orders."""

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="levels")
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "part"], name="stock_one_level_per_center"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")),
                                   name="stock_reserved_within_on_hand"),
            models.CheckConstraint(condition=Q(on_hand__gte=0) & Q(reserved__gte=0),
                                   name="stock_never_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.part} @ {self.center}: {self.on_hand} ({self.reserved} reserved)"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


# Units of a level not promised to an order (on a StockLevel row).
AVAILABLE = F("on_hand") - F("reserved")
# A level below its part's minimum: what the low-stock queue, "what to order" and the reports
# count.
BELOW_MINIMUM = Q(part__minimum__gt=AVAILABLE)


def part_matching(text: str, path: str = "") -> Q:
    """Parts whose code, name or the models they fit hold every word of `text`; `path` leads
    from the rows filtered to the part ("part__" from a StockLevel)."""
    condition = Q()
    for word in text.split():
        condition &= (Q(**{f"{path}sku__icontains": word}) | Q(**{f"{path}name__icontains": word})
                      | Q(**{f"{path}fits__icontains": word}))
    return condition


class MovementKind(models.TextChoices):
    RECEIVED = "received", _("Received")
    RESERVED = "reserved", _("Reserved for an order")
    RELEASED = "released", _("Released by an order")
    USED = "used", _("Used in a repair")
    RETURNED = "returned", _("Returned to the supplier")
    WRITTEN_OFF = "written_off", _("Written off")
    COUNTED = "counted", _("Counted")


class Movement(models.Model):
    """One line of the ledger: what changed on hand and reserved, why, and for whom."""

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    on_hand_change = models.IntegerField(default=0)
    reserved_change = models.IntegerField(default=0)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The order served (its id; see the module's docstring), and the line of its estimate.
    order_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    line_ref = models.BigIntegerField(null=True, blank=True)
    purchase_order = models.ForeignKey("PurchaseOrder", on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="movements")
    unit_cost = models.DecimalField(null=True, blank=True, **MONEY)
    serials = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["center", "part", "at"], name="stock_movement_ledger")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.part_id} {self.on_hand_change:+d}"


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("telephone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PurchaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent to the supplier")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_PURCHASES = (PurchaseStatus.SENT, PurchaseStatus.PARTLY_RECEIVED)


class PurchaseOrder(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("center"))
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders",
                                 verbose_name=_("supplier"))
    status = models.CharField(max_length=16, choices=PurchaseStatus.choices,
                              default=PurchaseStatus.DRAFT)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"PO-{self.pk:05d}"

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines.all()), Decimal("0.00"))


class PurchaseLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE,
                                       related_name="lines")
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("part"))
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    received = models.PositiveIntegerField(_("received"), default=0)
    unit_cost = models.DecimalField(_("unit cost"), validators=NOT_NEGATIVE, **MONEY)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "part"],
                                    name="stock_one_line_per_part"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.part_id}"

    @property
    def outstanding(self) -> int:
        return max(self.quantity - self.received, 0)

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_cost).quantize(Decimal("0.01"))
