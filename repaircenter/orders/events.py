"""How the order's history is named, and who hears of it.

The workflow writes every event of an order (`OrderEvent`) and announces it here; the apps
that act on events (notifications: the customer's messages; webhooks: other systems) register
their handlers in their `AppConfig.ready()`. The workflow imports none of them. Handlers run
inside the transaction that wrote the event, so a message or a webhook delivery is saved with
its cause or not at all.

- `on_order_event(handler)`: `handler(event)` for each event written one by one;
- `on_orders_changed(handler)`: `handler(order_ids=…, action=…, at=…, to_status=…)` for a
  set-based change of many orders at once (the deadline sweep, a batch of disposals), whose
  events are written by one INSERT … SELECT;
- `on_deadline_near(handler)`: `handler(**reminder)` returns how many reminders it queued for
  the orders whose deadline is near (the sweep's reminders; see orders/sweep.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from .transitions import TRANSITIONS

if TYPE_CHECKING:
    from .models import OrderEvent

TAKE_IN = "take_in"  # the first event of every order: it has no state before

# Events that keep the state (a payment, a line done…); the transitions name theirs.
RECORD_LABELS = {
    TAKE_IN: _("Taken in"),
    "findings_recorded": _("Findings written"),
    "storage_started": _("Customer reached: the storage period started"),
    "storage_location_set": _("Put in storage"),
    "link_replaced": _("Customer's link replaced; the old one no longer works"),
    "pickup_code_reissued": _("Customer's copy reprinted with a new pickup code"),
    "work_done": _("Agreed line done"),
    "work_undone": _("Agreed line marked not done again"),
    "payment": _("Payment received"),
    "refund": _("Refund paid"),
    "pickup_code_wrong": _("Wrong pickup code typed"),
    "issuance_locked": _("Issuance locked after too many wrong pickup codes"),
    "issuance_unlocked": _("Issuance unlocked by a manager"),
    "transfer_sent": _("Sent to another center"),
    "transfer_received": _("Received from another center"),
    "warranty_assessed": _("Warranty claim assessed, line by line"),
    "passcode_viewed": _("Device passcode viewed"),
    "passcode_erased": _("Device passcode erased as the order closed"),
}

# How the history names each event; every action the workflow writes has a line here.
EVENT_LABELS = {**{name: t.done for name, t in TRANSITIONS.items()}, **RECORD_LABELS}


def changes_state(action: str) -> bool:
    """The event moved the order into its state (intake, or a transition)."""
    return action == TAKE_IN or action in TRANSITIONS


_event_handlers: list[Callable[[OrderEvent], object]] = []
_many_handlers: list[Callable[..., object]] = []
_reminder_handlers: list[Callable[..., int]] = []


def on_order_event(handler: Callable[[OrderEvent], object]) -> None:
    if handler not in _event_handlers:
        _event_handlers.append(handler)


def on_orders_changed(handler: Callable[..., object]) -> None:
    if handler not in _many_handlers:
        _many_handlers.append(handler)


def on_deadline_near(handler: Callable[..., int]) -> None:
    if handler not in _reminder_handlers:
        _reminder_handlers.append(handler)


def announce(event: OrderEvent) -> None:
    for handler in _event_handlers:
        handler(event)


def announce_many(*, order_ids: list[int], action: str, at, to_status: str) -> None:
    if not order_ids:
        return
    for handler in _many_handlers:
        handler(order_ids=order_ids, action=action, at=at, to_status=to_status)


def announce_deadline_near(**reminder) -> int:
    return sum(handler(**reminder) for handler in _reminder_handlers)
