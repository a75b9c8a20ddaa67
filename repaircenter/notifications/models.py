from django.db import models
from django.utils.translation import gettext_lazy as _

from repaircenter.customers.models import Channel, Customer
from repaircenter.orders.models import Order


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


EVENT_LABELS = {
    "order_received": _("Order received, with the link"),
    "estimate_ready": _("Estimate ready"),
    "ready_repaired": _("Ready for collection"),
    "ready_unrepaired": _("Ready for collection, unrepaired"),
}


class Message(models.Model):
    """One message to a customer: the outbox row, written in the transaction of its cause."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    event = models.CharField(max_length=40)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=320)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient} ({self.status})"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.event, self.event))
