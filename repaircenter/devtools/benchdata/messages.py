"""The messages of one order with the delivery records the worker and the provider leave."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from repaircenter.notifications.models import DeliveryRecord, Message

from .vocabulary import HOUR, MINUTE

if TYPE_CHECKING:
    from .generator import Generator
    from .writing import Batch


class NotifyRows:
    """The messages of one order on the customer's first usable channel, with the delivery
    records the worker and the provider would have left."""

    def __init__(self, generator: Generator, batch: Batch, order_id: int, customer_id: int,
                 phone: str, email: str, channels: list[str], number: int) -> None:
        self.g, self.batch = generator, batch
        self.order_id, self.customer_id, self.number = order_id, customer_id, number
        self.phone, self.email, self.channels = phone, email, channels
        self.messages: list[dict] = []
        self.records: list[dict] = []

    def message(self, event: str, at: datetime.datetime, *, reached: bool,
                channel: str | None = None, delivered_at: datetime.datetime | None = None,
                deadline=None, days_before=None) -> None:
        if not self.channels:
            return
        channel = channel or self.channels[0]
        pk = self.g.ids.take(Message)
        recipient = self.email if channel == "email" else self.phone
        sent_at = at + 2 * MINUTE
        if channel == "phone":
            status, sent_at = ("delivered", at + HOUR) if reached else ("failed", at + HOUR)
        else:
            status = "delivered" if reached else "failed"
        delivered = (delivered_at or sent_at + MINUTE) if status == "delivered" else None
        self.messages.append({
            "id": pk, "order_id": self.order_id, "customer_id": self.customer_id,
            "advice_id": None, "event": event, "channel": channel, "template_id": None,
            "recipient": recipient,
            "subject": f"Order R-{self.number:06d}" if channel == "email" else "",
            "body": f"Repair Center: order R-{self.number:06d}: {event.replace('_', ' ')}.",
            "status": status, "key": self.g.uuid(), "attempt_count": 1 if reached else 6,
            "next_attempt_at": at, "claim": "", "lease_until": None,
            "provider_ref": f"bench-{pk}" if channel == "sms" else "",
            "last_answer": "" if reached else "Number unreachable", "sent_at": sent_at,
            "delivered_at": delivered, "failed_at": None if reached else sent_at + HOUR,
            "replaces_id": None, "handled_at": None if reached else sent_at + 2 * HOUR,
            "handled_by_id": None, "created_at": at, "deadline": deadline,
            "days_before": days_before,
        })
        kind = "call" if channel == "phone" else "attempt"
        outcome = "delivered" if reached and channel != "sms" else "sent" if reached else "retry"
        attempts = 1 if reached else 6
        for attempt in range(attempts):
            last = attempt == attempts - 1
            self.records.append({
                "id": self.g.ids.take(DeliveryRecord), "message_id": pk,
                "at": at + (attempt + 1) * MINUTE, "kind": kind,
                "outcome": ("failed" if last and not reached else outcome),
                "answer": '{"id": "bench"}' if reached else "503 Service Unavailable",
                "duration_ms": 40, "by_id": None,
            })
        if reached and channel == "sms":
            self.records.append({
                "id": self.g.ids.take(DeliveryRecord), "message_id": pk, "at": delivered,
                "kind": "report", "outcome": "delivered", "answer": "delivered",
                "duration_ms": None, "by_id": None,
            })
