import uuid
from functools import lru_cache

import phonenumbers
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from repaircenter.core.languages import default_language
from repaircenter.customers.channels import CHANNELS, PHONE, channel_choices
from repaircenter.customers.models import Customer
from repaircenter.orders.models import Order


class MessageStatus(models.TextChoices):
    # Written by a set-based step of the deadline sweep; the worker picks the channel and
    # writes the text from the template before it is queued.
    PENDING = "pending", _("Being written")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Event(models.TextChoices):
    """What a message tells the customer; one template per event and channel."""

    ORDER_RECEIVED = "order_received", _("Order received")
    ESTIMATE_READY = "estimate_ready", _("Estimate ready")
    DECISION_REMINDER = "decision_reminder", _("Decision reminder")
    READY_REPAIRED = "ready_repaired", _("Ready for collection, repaired")
    READY_UNREPAIRED = "ready_unrepaired", _("Ready for collection, unrepaired")
    STORAGE_REMINDER = "storage_reminder", _("Storage reminder")
    DISPOSAL_WARNING = "disposal_warning", _("Disposal warning")
    ADVICE_ANSWERED = "advice_answered", _("Advice answered")
    LINK_RESENT = "link_resent", _("Order link sent again")


# The notices whose first delivery starts the six months of storage.
READY_EVENTS = frozenset({Event.READY_REPAIRED, Event.READY_UNREPAIRED})
EVENT_LABELS = dict(Event.choices)


class MessageTemplate(models.Model):
    """The text of one event on one channel, in Django template syntax; the manager edits it."""

    event = models.CharField(_("event"), max_length=40, choices=Event.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=channel_choices)
    # A customer gets the text in their language, else the default language's (LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=default_language,
                                # rows written by code that predates the field (old migrations)
                                db_default="en")
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, help_text=_("Email only.")
    )
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("message template")
        ordering = ["event", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel", "language"],
                                    name="one_template_per_event_and_language")
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()}: {self.get_channel_display()}"


class Message(models.Model):
    """One message to a customer: the outbox row, written in the transaction of its cause and
    delivered later by the worker.

    It is about an order (to that order's customer), or answers an advice request (to whoever
    asked: anyone, with no customer record unless the question came from an order's chat).
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, related_name="messages")
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    advice = models.ForeignKey(
        "consult.AdviceRequest", on_delete=models.CASCADE, null=True, blank=True,
        related_name="messages",
    )
    event = models.CharField(max_length=40, choices=Event.choices)
    channel = models.CharField(max_length=10, choices=channel_choices)
    template = models.ForeignKey(
        MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_index=False,  # never searched by; one index fewer to write per send
    )
    recipient = models.CharField(max_length=320)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    # Stable across attempts: providers that accept an idempotency key drop a repeated send.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # While sending: which worker round holds it, and until when; after that another may take it.
    claim = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The provider's id for the message, which its delivery reports quote.
    provider_ref = models.CharField(max_length=100, blank=True)
    last_answer = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    # A message written because this one failed (the next channel) or was retried by staff.
    replaces = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    # A failed message leaves the staff queue once someone has dealt with it.
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    # A reminder: the deadline it reminds of and how many days before it. Unique per order, so
    # a reminder goes once whatever the sweep does (repeated, run twice at once, late).
    deadline = models.DateTimeField(null=True, blank=True)
    days_before = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "event", "deadline", "days_before"],
                condition=models.Q(days_before__isnull=False),
                name="one_reminder_per_deadline_and_day",
            ),
            models.CheckConstraint(
                condition=models.Q(order__isnull=False, customer__isnull=False,
                                   advice__isnull=True)
                | models.Q(order__isnull=True, advice__isnull=False),
                name="message_about_an_order_or_advice",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="message_to_write",
                         condition=models.Q(status="pending")),
            # The worker's claim: due queued messages, and abandoned sends. Partial, so they
            # hold only the few rows waiting, and a message that was sent leaves them.
            models.Index(fields=["next_attempt_at"], name="message_due",
                         condition=models.Q(status="queued")),
            models.Index(fields=["lease_until"], name="message_lease",
                         condition=models.Q(status="sending")),
            # The staff home page's counts and the lists behind them: calls waiting for a
            # person, failed messages nobody has dealt with. A handful of rows among millions
            # of messages, each count of which read the table whole (0.3 s at a million
            # orders).
            models.Index(fields=["sent_at", "id"], name="message_call_to_make",
                         condition=models.Q(channel="phone", status=MessageStatus.SENT)),
            models.Index(fields=["failed_at", "id"], name="message_failed_unhandled",
                         condition=models.Q(status=MessageStatus.FAILED,
                                            handled_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient} ({self.status})"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))

    @property
    def addressee(self) -> str:
        """Whom it is for, as staff lists show it: the customer, or whoever asked for advice."""
        if self.customer_id:
            return self.customer.name
        return self.advice.name if self.advice_id else ""

    @property
    def recipient_display(self) -> str:
        """A number as people dial it in the center's country (020 7946 0101); an address as is."""
        channel = CHANNELS.get(self.channel)
        if channel is None or channel.address_field != PHONE:
            return self.recipient
        return dialled_as(self.recipient, settings.PHONENUMBER_DEFAULT_REGION)


@lru_cache(maxsize=10_000)
def dialled_as(number: str, region: str) -> str:
    """`number` (as stored: +44…) written as people in `region` dial it; kept per number, as
    libphonenumber takes a tenth of a millisecond to work it out and a page lists many."""
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return number
    style = phonenumbers.PhoneNumberFormat
    same_country = phonenumbers.region_code_for_number(parsed) == region
    return phonenumbers.format_number(parsed,
                                      style.NATIONAL if same_country else style.INTERNATIONAL)


class DeliveryRecord(models.Model):
    """One line of a message's history: a send attempt, a provider's report, a call's outcome."""

    class Kind(models.TextChoices):
        ATTEMPT = "attempt", _("Send attempt")
        REPORT = "report", _("Delivery report")
        CALL = "call", _("Call")
        STAFF = "staff", _("Staff")

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        RETRY = "retry", _("Failed, will retry")
        FAILED = "failed", _("Failed")
        REQUEUED = "requeued", _("Queued again")
        HANDLED = "handled", _("Dealt with")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="records")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    answer = models.TextField(blank=True)  # what the provider, the server or the caller said
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_index=False,
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.get_outcome_display()}"
