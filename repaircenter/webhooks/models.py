"""Webhooks: the endpoints a manager registers, one delivery row per event and endpoint (the
webhooks' outbox), and every attempt to post it."""

import secrets
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from repaircenter.orders.models import OrderEvent


class EventType(models.TextChoices):
    """What an endpoint may subscribe to; the name is what the receiver gets in `type`."""

    ORDER_CREATED = "order.created", _("Order created")
    STATE_CHANGED = "order.state_changed", _("Order state changed")
    ESTIMATE_SENT = "estimate.sent", _("Estimate sent")
    DECISION_RECORDED = "decision.recorded", _("Decision recorded")
    PAYMENT_RECORDED = "payment.recorded", _("Payment recorded")
    MESSAGE_FAILED = "message.failed", _("Message failed")
    WAITING_FOR_PARTS = "order.waiting_for_parts", _("Order waiting for parts")
    STOCK_LOW = "stock.low", _("Part below its minimum stock")


# Sent by the admin's "send a test event" whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"
EVENT_LABELS = {**dict(EventType.choices), TEST_EVENT: _("Test event")}


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Endpoint(models.Model):
    """A URL the center posts events to, signed with the endpoint's secret."""

    url = models.URLField(
        _("URL"), max_length=500, validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("Where the events are posted, as JSON: http:// or https://."),
    )
    secret = models.CharField(
        _("secret"), max_length=200, default=new_secret,
        help_text=_("Signs every delivery; give the same secret to the receiver. At least 16 "
                    "characters."),
    )
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Since when every attempt has failed (reset by a success); a day of it disables the endpoint.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    disabled_reason = models.TextField(_("why it was disabled"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event: str) -> bool:
        return event in self.events


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """One event for one endpoint: written in the transaction of its cause, posted by the worker
    until the receiver accepts it or a day of retries is over. The id goes to the receiver in
    every attempt (X-RepairCenter-Delivery and the body's `id`), so it can drop repeats."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40)
    # The order's history entry it announces; the payload of a delivery the deadline sweep
    # wrote (set-based, with no payload) is made from it when the worker first claims it.
    order_event = models.ForeignKey(
        OrderEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempt_count = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # While sending: which worker round holds it, and until when (core/leases.py); after that
    # another worker may take it again.
    claim = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    first_failure_at = models.DateTimeField(_("first failure"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    last_answer = models.CharField(_("last answer"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "pk"]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
            models.Index(fields=["next_attempt_at"], name="webhook_due",
                         condition=models.Q(status="queued")),
            models.Index(fields=["lease_until"], name="webhook_lease",
                         condition=models.Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.id} ({self.status})"

    @property
    def event_label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))


class Attempt(models.Model):
    """One POST of a delivery: the HTTP status it got, or the error, and how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(_("at"), default=timezone.now)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response = models.TextField(_("answer"), blank=True)  # the first 500 characters
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.http_status or self.error}"

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300
