import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_noop, ngettext
from django.utils.translation import gettext_lazy as _

from repaircenter.centers.models import Center
from repaircenter.customers.channels import CHANNELS
from repaircenter.customers.models import Customer, Device

from .credentials import portal_token
from .events import EVENT_LABELS
from .states import (  # noqa: F401 — the model's choices; the rest for those who import them here
    QUEUES,
    READY_STATES,
    STATES,
    STATUS_LABELS,
    STORED_STATES,
    PendingSupplement,
    State,
    Status,
)


class UnrepairedReason(models.TextChoices):
    REFUSED = "refused", _("The customer refused the repair")
    DECISION_LAPSED = "decision_lapsed", _("No decision within the decision period")
    NOT_REPAIRABLE = "not_repairable", _("Not repairable or not worth repairing")


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    SYSTEM = "system", _("System")
    # Another system of the center, through the HTTP API with a token a manager gave it.
    API = "api", _("Integration (API)")


# Where an event came from: the staff pages, a customer's call, email or visit, the link; and
# each message channel (EventChannel.SMS…), by which a ready notice reached the customer.
EventChannel = models.TextChoices("EventChannel", [
    ("STAFF", ("staff", _("Staff pages"))),
    *((key.upper(), (key, c.event_label or c.label)) for key, c in CHANNELS.items()),
    ("IN_PERSON", ("in_person", _("In person"))),
    ("ORDER_PAGE", ("order_page", _("Customer's order page"))),
    ("API", ("api", _("API"))),
    ("SYSTEM", ("system", _("System"))),
], module=__name__)


def event_channel_choices() -> list[tuple[str, str]]:
    """OrderEvent.channel's choices, as a callable: a new message channel needs no migration."""
    return EventChannel.choices


MONEY = {"max_digits": 12, "decimal_places": 2}


# The kinds a new installation starts with (migration 0002): their names are shown in the
# reader's language; a kind the manager adds shows as typed.
BUILT_IN_KIND_NAMES = [
    gettext_noop("Phone"), gettext_noop("Tablet"), gettext_noop("Laptop"),
    gettext_noop("Desktop computer"), gettext_noop("Monitor"), gettext_noop("Game console"),
    gettext_noop("Printer"), gettext_noop("Household appliance"), gettext_noop("Other"),
]


class EquipmentKind(models.Model):
    """Phones, laptops, consoles…: the list the manager keeps."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    active = models.BooleanField(_("offered at intake"), default=True)
    position = models.PositiveSmallIntegerField(_("position in lists"), default=0)
    diagnostics_fee = models.DecimalField(
        _("diagnostics fee when returned unrepaired"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        **MONEY,
    )
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty on repairs (months)"), default=3,
        validators=[MaxValueValidator(120)],
        help_text=_("Printed on the warranty card for each repaired line; runs from issuance."),
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.label(self.name)

    @staticmethod
    def label(name: str) -> str:
        """How a kind named `name` is shown: a built-in kind in the active language, a kind a
        center added as it was written (for a list's rows, without making the kind)."""
        return gettext(name) if name in BUILT_IN_KIND_NAMES else name


class DisposalMethod(models.TextChoices):
    RECYCLED = "recycled", _("Recycled")
    SCRAPPED = "scrapped", _("Scrapped")
    SOLD_FOR_PARTS = "sold_for_parts", _("Sold for parts")


class DisposalAct(models.Model):
    """One confirmation of disposal by a manager: the orders it names are the ones it disposed
    of. Written once, with the orders and its issued document (the act to print and sign), in
    the transaction that disposes of them; its number is the document's."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    method = models.CharField(_("method"), max_length=20, choices=DisposalMethod.choices)
    note = models.TextField(_("note"), blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    document = models.OneToOneField(
        "documents.Document", on_delete=models.PROTECT, null=True, related_name="disposal_act"
    )

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        from repaircenter.documents.models import DocumentKind, format_document_number

        return format_document_number(DocumentKind.DISPOSAL_ACT, self.number)


STORAGE_LOCATION_MAX = 20


class Order(models.Model):
    # The chain-wide key in the staff pages' and the API's addresses (/staff/orders/16/).
    number = models.PositiveIntegerField(_("number"), unique=True)
    # What the papers say, R-000016: the center's prefix when it took the order in (kept as
    # printed) and the center's own count, gapless per center.
    number_prefix = models.CharField(_("number prefix"), max_length=4, editable=False)
    center_number = models.PositiveIntegerField(_("number at its center"), editable=False)
    # The center that took it in: its deadlines, papers and collection are that center's.
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="orders",
                               verbose_name=_("center"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    # Raised by every change of state; a change made against an old version is refused.
    version = models.PositiveIntegerField(default=1)

    received_at = models.DateTimeField(_("received"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    diagnosis_due = models.DateField(_("diagnostics due"))
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders_diagnosed",
    )
    diagnosis_started_at = models.DateTimeField(null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    # The fee the regulation charges if the equipment goes back unrepaired, fixed at intake.
    diagnostics_fee = models.DecimalField(default=Decimal("0.00"), **MONEY)
    estimate_sent_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateTimeField(_("decision due"), null=True, blank=True)
    pending_supplement = models.CharField(
        max_length=10, choices=PendingSupplement.choices, blank=True, default=""
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Waiting for parts: when the purchase orders bringing them are expected (its overdue date).
    parts_due = models.DateField(_("parts expected"), null=True, blank=True)
    unrepaired_reason = models.CharField(
        max_length=20, choices=UnrepairedReason.choices, blank=True
    )
    ready_at = models.DateTimeField(null=True, blank=True)
    # The storage clock starts at the first notification that reached the customer.
    customer_reached_at = models.DateTimeField(null=True, blank=True)
    storage_due = models.DateTimeField(_("storage due"), null=True, blank=True)
    # Where the equipment waits for collection: a shelf or bin code, set when it goes there.
    storage_location = models.CharField(
        _("storage location"), max_length=STORAGE_LOCATION_MAX, blank=True
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    disposed_at = models.DateTimeField(null=True, blank=True)
    # When the state it is in should have been left, for a state whose target is computed as
    # the order enters it (states.Target.due; set by workflow.change_state).
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    disposal_act = models.ForeignKey(
        DisposalAct, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    # A warranty claim: the earlier order whose warranty the customer claims (orders/warranty.py).
    warranty_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="warranty_claims",
        verbose_name=_("warranty claim on"),
    )

    # The customer's link (credentials.py): never its token, which is an HMAC of the nonce
    # under the server's key; a keyed digest of the token finds the order when the link is
    # opened, and its first characters let staff recognise it. Replacing the link revokes the
    # old one. A link made before tokens were derived has no nonce: it still opens the order,
    # but the server cannot write it again (link_token is None).
    portal_nonce = models.CharField(max_length=32, blank=True)
    portal_token_digest = models.CharField(max_length=64, unique=True)
    portal_token_prefix = models.CharField(max_length=8, blank=True)
    # Only a keyed digest of the pickup code printed on the customer's copy is kept.
    pickup_code_digest = models.CharField(max_length=64, blank=True)
    # Wrong pickup codes typed since the last success or unlock; at the limit issuance locks.
    pickup_failures = models.PositiveSmallIntegerField(default=0)
    # The hidden key of the intake form, so that a double-clicked submit makes one order.
    intake_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "center_number"],
                                    name="order_number_per_center"),
        ]
        indexes = [
            # The queues' orderings, with the id: a queue's page of ids is read from its index
            # alone (selectors.queue_order_ids), however many orders wait.
            models.Index(fields=["status", "diagnosis_due", "received_at", "id"],
                         name="order_queue_diagnose"),
            models.Index(fields=["status", "decision_due", "id"], name="order_queue_decision"),
            models.Index(fields=["status", "decided_at", "id"], name="order_queue_repair"),
            models.Index(fields=["status", "ready_at", "id"], name="order_queue_ready"),
            # The ready ones whose customer is not reached yet: the only ones that may be
            # overdue (states.READY), read first in the queue without reading every row. Of
            # the ready states alone: every order before it is ready is unreached too, and
            # reading their entries to find none overdue took 2.6 ms at a million orders.
            models.Index(fields=["status", "ready_at", "id"],
                         condition=models.Q(customer_reached_at__isnull=True,
                                            status__in=READY_STATES),
                         name="order_queue_ready_unreached"),
            models.Index(fields=["status", "storage_due", "id"], name="order_queue_storage"),
            # Stored and on no shelf yet: the home page's count, a few among the stored.
            models.Index(fields=["status"], name="order_unshelved",
                         condition=models.Q(status__in=STORED_STATES, storage_location="")),
            # A center's queue: its own rows of that queue alone, in the queue's order, so that
            # a page and its count read only them, however large the chain (bench/run.py B7).
            # Partial: PostgreSQL proves the queue's statuses from the query's literals (SQLite,
            # with bound parameters, cannot, and keeps to the indexes above).
            *(models.Index(fields=["center", *queue.ordering, "id"],
                           condition=models.Q(status__in=queue.statuses),
                           name=f"center_queue_{slug.replace('-', '_')}"[:30])
              for slug, queue in QUEUES.items()),
            # The computed targets (states.Target.due): the overdue of the repair queue.
            models.Index(fields=["status", "due_at", "id"], name="order_queue_due"),
            models.Index(fields=["status", "parts_due", "decided_at", "id"],
                         name="order_queue_parts"),
            # A number typed into the search, whichever center printed it.
            models.Index(fields=["center_number"], name="order_center_number"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return format_order_number(self.number_prefix, self.center_number)

    @property
    def link_token(self) -> str | None:
        """The token of the customer's link: the one it was opened with, or rebuilt from the
        nonce; None for a link made before tokens were derived (the server cannot write it)."""
        opened = self.__dict__.get("_link_token")
        if opened:
            return opened
        return portal_token(self.portal_nonce) if self.portal_nonce else None

    @link_token.setter
    def link_token(self, token: str) -> None:
        self.__dict__["_link_token"] = token

    @property
    def pickup_failures_text(self) -> str:
        """"2 wrong pickup codes typed so far.", for the staff order page's issuance form."""
        count = self.pickup_failures
        return ngettext("%(count)s wrong pickup code typed so far.",
                        "%(count)s wrong pickup codes typed so far.", count) % {"count": count}

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def state(self) -> State:
        """What the order's state means (orders/states.py), for the templates: stored, closed,
        its deadline…"""
        return STATES[self.status]

    @property
    def current_estimate(self) -> "Estimate | None":
        """The estimate awaiting the customer's decision (from the prefetched estimates)."""
        sent = [e for e in self.estimates.all() if e.status == EstimateStatus.SENT]
        return max(sent, key=lambda e: e.number, default=None)

    @property
    def draft_estimate(self) -> "Estimate | None":
        return next((e for e in self.estimates.all() if e.status == EstimateStatus.DRAFT), None)


def format_order_number(prefix: str, number: int) -> str:
    return f"{prefix}-{number:06d}"


class StateCount(models.Model):
    """How many orders entered (+1) or left (-1) a state at a center: the rows of a center and
    state add up to how many of its orders are in that state now. A queue's count reads these
    rows (orders/state_counts.py) instead of counting its orders, which took 4-5 ms at a
    million orders (tens of thousands of index entries).

    The database writes them itself, by triggers on orders_order (migration 0024): a row for
    each order taken in, two for each change of state or center, whoever makes the change (the
    workflow, the sweep's bulk updates, a data migration). Orders are never deleted (their
    events protect them), so deleting writes nothing. A worker round folds the rows into one per
    center and state. A migration that makes orders_order anew on SQLite (Django does so to
    alter a column) loses the triggers: make them again as 0024 does."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices)
    orders = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["status", "center"], name="state_count_of")]

    def __str__(self) -> str:
        return f"{self.center_id} {self.status} {self.orders:+d}"


class Equipment(models.Model):
    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, primary_key=True, related_name="equipment"
    )
    kind = models.ForeignKey(EquipmentKind, on_delete=models.PROTECT, verbose_name=_("kind"))
    brand = models.CharField(_("brand"), max_length=100)
    model = models.CharField(_("model"), max_length=100, blank=True)
    # Stored upper-case without spaces, as scanned or typed, so that search matches exactly.
    serial_number = models.CharField(_("serial number"), max_length=64, blank=True, db_index=True)
    imei = models.CharField(_("IMEI"), max_length=15, blank=True, db_index=True)
    condition = models.TextField(_("visible condition and damage"))
    accessories = models.TextField(_("accessories handed over"), blank=True)
    fault = models.TextField(_("fault as the customer describes it"))
    # The device this is, across orders and customers (customers/devices.py); none without a
    # serial number or IMEI.
    device = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="equipment", verbose_name=_("device"))

    def __str__(self) -> str:
        return f"{self.kind} {self.brand} {self.model}".strip()


def photo_path(photo: "EquipmentPhoto", filename: str) -> str:
    return f"photos/{photo.order_id}/{filename}"


class EquipmentPhoto(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


class BlankIfMissing(dict):
    """A dict whose missing keys read as "": in a template, `{% if event.facts.said %}` on an
    event without that key then costs a dict look-up, where a plain dict costs a KeyError, an
    AttributeError and a dir() that the template engine catches (a dozen such tests per event
    were a tenth of the order page's time)."""

    def __missing__(self, key):
        return ""


class OrderEvent(models.Model):
    """One entry of an order's history. Written once, never edited or deleted."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    channel = models.CharField(max_length=20, choices=event_channel_choices)
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    note = models.TextField(blank=True)
    # What backs the event up: who took the call, the email's text, the browser's address…
    evidence = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["order", "at"])]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Order events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Order events are never deleted.")

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))

    @cached_property
    def facts(self) -> BlankIfMissing:
        """The evidence, for the templates."""
        return BlankIfMissing(self.evidence or {})

    @property
    def call_time(self) -> datetime.datetime | None:
        """When the customer called, for a decision taken by telephone."""
        text = self.evidence.get("call_time")
        try:
            return datetime.datetime.fromisoformat(text) if text else None
        except ValueError:
            return None


# --- estimates ----------------------------------------------------------------------------------

MAX_QUANTITY = Decimal("9999")
MAX_UNIT_PRICE = Decimal("1000000")


class LineKind(models.TextChoices):
    WORK = "work", _("Work")
    PART = "part", _("Part")


class PriceListEntry(models.Model):
    """A common work or part with its usual price, offered in one click in the estimate editor."""

    equipment_kind = models.ForeignKey(
        EquipmentKind, on_delete=models.CASCADE, null=True, blank=True,
        verbose_name=_("kind of equipment"), help_text=_("Empty: offered for every kind."),
    )
    line_kind = models.CharField(_("work or part"), max_length=4, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200)
    unit_price = models.DecimalField(
        _("price"), validators=[MinValueValidator(Decimal("0")),
                                MaxValueValidator(MAX_UNIT_PRICE)], **MONEY,
    )
    active = models.BooleanField(_("offered"), default=True)
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True, validators=[MaxValueValidator(120)],
        help_text=_("Empty: the warranty of the kind of equipment. 0: no warranty."),
    )

    class Meta:
        ordering = ["line_kind", "description"]
        verbose_name_plural = _("price list entries")

    def __str__(self) -> str:
        return self.description


class CenterPrice(models.Model):
    """A center's own price for a price-list entry (the chain's price elsewhere)."""

    entry = models.ForeignKey(PriceListEntry, on_delete=models.CASCADE,
                              related_name="center_prices")
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="prices",
                               verbose_name=_("center"))
    unit_price = models.DecimalField(
        _("price at this center"), validators=[MinValueValidator(Decimal("0")),
                                               MaxValueValidator(MAX_UNIT_PRICE)], **MONEY,
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "center"],
                                               name="one_price_per_center")]

    def __str__(self) -> str:
        return f"{self.entry}: {self.center} {self.unit_price}"


class EstimateKind(models.TextChoices):
    MAIN = "main", _("Estimate")
    SUPPLEMENT = "supplement", _("Supplementary estimate")


class EstimateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent, awaiting the customer's decision")
    REPLACED = "replaced", _("Replaced by a later estimate")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    LAPSED = "lapsed", _("No decision in time")


class Estimate(models.Model):
    """Works and parts with prices, for the customer to approve. Never changed once sent."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="estimates")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=EstimateKind.choices)
    status = models.CharField(
        max_length=10, choices=EstimateStatus.choices, default=EstimateStatus.DRAFT
    )
    repair_days = models.PositiveSmallIntegerField(
        _("expected repair time (working days)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    recommendation = models.TextField(
        _("recommendation to the customer"), blank=True,
        help_text=_("Is the repair worth it; advice on further use. The customer sees this."),
    )
    internal_notes = models.TextField(
        _("internal notes"), blank=True, help_text=_("Staff only; never shown to the customer.")
    )
    required_to_finish = models.BooleanField(
        _("the original repair cannot be finished without these lines"), default=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="estimate_number_per_order"),
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="draft"),
                                    name="one_draft_estimate_per_order"),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.order.display_number}/E{self.number}"

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines.all()), Decimal("0.00"))

    @property
    def is_draft(self) -> bool:
        return self.status == EstimateStatus.DRAFT

    @property
    def repair_days_text(self) -> str:
        """"5 working days", for the staff order page (its Jinja template cannot count)."""
        days = self.repair_days
        return ngettext("%(days)s working day", "%(days)s working days", days) % {"days": days}


class EstimateLine(models.Model):
    estimate = models.ForeignKey(Estimate, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    line_kind = models.CharField(_("work or part"), max_length=4, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=8, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(MAX_QUANTITY)],
    )
    unit_price = models.DecimalField(
        _("unit price"), validators=[MinValueValidator(Decimal("0")),
                                     MaxValueValidator(MAX_UNIT_PRICE)], **MONEY,
    )
    price_list_entry = models.ForeignKey(PriceListEntry, on_delete=models.SET_NULL, null=True,
                                         blank=True, related_name="+")
    # The line's warranty in months from issuance; empty: the kind of equipment's.
    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True, validators=[MaxValueValidator(120)],
    )
    # The last day the line is guaranteed, fixed at issuance (orders/warranty.py).
    warranty_until = models.DateField(_("warranty until"), null=True, blank=True)
    # On a warranty claim: the earlier order's line this one repairs free of charge. It keeps
    # that line's end date (a repair under warranty does not restart it).
    covers = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="warranty_repairs",
                               verbose_name=_("under the warranty of"))
    # A part of the catalogue (stock): reserved at the order's center once approved, used (at
    # its cost then) when the works are finished. See workflow/parts.py.
    part = models.ForeignKey("stock.Part", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("part"))
    reserved = models.PositiveIntegerField(_("units reserved"), default=0)
    used = models.PositiveIntegerField(_("units used"), default=0)
    unit_cost = models.DecimalField(_("unit cost"), null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def under_warranty(self) -> bool:
        """Repaired free of charge under an earlier order's warranty: "warranty" on papers."""
        return self.covers_id is not None

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


# --- the repair and its stress test -------------------------------------------------------------


class LineDone(models.Model):
    """An agreed line the technician marked done. Removed again (an undo) only until the works
    are finished; the history keeps both."""

    line = models.OneToOneField(
        EstimateLine, on_delete=models.PROTECT, primary_key=True, related_name="done"
    )
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField()
    part_serials = models.CharField(
        _("serial numbers of the parts fitted"), max_length=300, blank=True
    )

    def __str__(self) -> str:
        return f"{self.line} done"


class TestProcedure(models.Model):
    """A stress test the manager describes once per kind of equipment; the technician picks it
    and may change its text for one run."""

    equipment_kind = models.ForeignKey(
        EquipmentKind, on_delete=models.CASCADE, null=True, blank=True,
        verbose_name=_("kind of equipment"), help_text=_("Empty: offered for every kind."),
    )
    name = models.CharField(_("name"), max_length=100)
    procedure = models.TextField(_("procedure"), help_text=_("What to run and what to watch."))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(10080)]
    )
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("stress test procedure")

    def __str__(self) -> str:
        return self.name


class StressTest(models.Model):
    """One run of a stress test: kept for good, passed or failed."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="stress_tests")
    procedure_template = models.ForeignKey(
        TestProcedure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(_("test"), max_length=100, blank=True)
    procedure = models.TextField(_("procedure"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    measurements = models.TextField(_("measured values and notes"), blank=True)
    passed = models.BooleanField(_("passed"))
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order} {'passed' if self.passed else 'failed'} {self.recorded_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Stress test records are never changed.")
        super().save(*args, **kwargs)


class Transfer(models.Model):
    """The equipment sent from one center to another (a workshop, and back), and received
    there. At most one transfer of an order is under way; the equipment is where the last one
    arrived, or at its own center."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="transfers")
    from_center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("from"))
    to_center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("to"))
    # The number on the seal of the bag or on the carrier's waybill.
    seal = models.CharField(_("seal or waybill number"), max_length=50)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="+")
    sent_at = models.DateTimeField(_("sent"))
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        constraints = [
            # Two people sending the same equipment at once: one transfer.
            models.UniqueConstraint(fields=["order"], condition=models.Q(received_at=None),
                                    name="one_transfer_under_way"),
        ]
        indexes = [models.Index(fields=["to_center", "received_at"], name="transfer_arriving"),
                   models.Index(fields=["from_center", "received_at"], name="transfer_leaving")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_center_id} → {self.to_center_id}"

    @property
    def under_way(self) -> bool:
        return self.received_at is None


# What intake records to settle disputes: checklist, signature, passcode (intake_records.py).
from .intake_records import (  # noqa: E402, F401
    ChecklistItem,
    ConditionCheck,
    ConditionPhoto,
    ConditionResult,
    DevicePasscode,
    IntakeSignature,
    PasscodeKind,
)
