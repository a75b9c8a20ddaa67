"""Writing webhook deliveries: one row per event and subscribed endpoint, in the transaction of
the event's cause (the order's history entry, a message that failed for good). The worker
(delivery.py) posts them later; nothing here talks to the outside world.

Cost, per event: nothing for an action no webhook announces; otherwise one SELECT of the active
endpoints (nothing is cached between requests: a manager's change counts at once), and, only
when one of them subscribes, one INSERT of all the deliveries (plus, for `estimate.sent`, one
SELECT of the estimate's lines for its total). The deadline sweep's changes to many orders write
theirs with one INSERT … SELECT per step, whatever the number of orders.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils import timezone

from repaircenter.core import bulk
from repaircenter.orders.events import TAKE_IN
from repaircenter.orders.models import (
    EstimateLine,
    EstimateStatus,
    Order,
    OrderEvent,
    Status,
)
from repaircenter.orders.transitions import APPROVALS, DECISIONS, ESTIMATE, TRANSITIONS

from .models import TEST_EVENT, Delivery, DeliveryStatus, Endpoint, EventType

E = EventType
ESTIMATE_ACTIONS = frozenset(name for name, t in TRANSITIONS.items() if t.form == ESTIMATE)
PAYMENT_ACTIONS = frozenset({"payment", "refund"})


@cache
def types_for(action: str) -> tuple[str, ...]:
    """The webhook events an order history entry of `action` announces (none for most entries
    that keep the state: findings, a reprinted copy…)."""
    if action == TAKE_IN:
        return (E.ORDER_CREATED,)
    types = []
    if action in TRANSITIONS:  # every transition, the sweep's included
        types.append(E.STATE_CHANGED)
    if action in ESTIMATE_ACTIONS:
        types.append(E.ESTIMATE_SENT)
    if action in DECISIONS:
        types.append(E.DECISION_RECORDED)
    if action in PAYMENT_ACTIONS:
        types.append(E.PAYMENT_RECORDED)
    if action in TRANSITIONS and TRANSITIONS[action].target == Status.WAITING_FOR_PARTS:
        types.append(E.WAITING_FOR_PARTS)
    return tuple(types)


def _subscribers(types: Iterable[str]) -> list[tuple[int, str]]:
    """(endpoint id, event) for every active endpoint subscribed to one of `types`: one
    SELECT."""
    types = tuple(types)
    return [
        (endpoint.pk, event)
        for endpoint in Endpoint.objects.filter(active=True).only("pk", "events")
        for event in types
        if endpoint.wants(event)
    ]


def iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _money(amount: Decimal | str) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def _order(order: Order | None, status: str | None = None) -> dict | None:
    if order is None:
        return None
    data = {"id": order.pk, "number": order.display_number, "status": status or order.status}
    if order.warranty_of_id is not None:
        # A warranty claim: the earlier order it is linked to.
        original = order.warranty_of
        data["warranty_of"] = {"id": original.pk, "number": original.display_number}
    return data


def _envelope(delivery_id, event: str, occurred_at, *, order=None, status=None,
              event_id=None, data=None) -> dict[str, Any]:
    """What every delivery's body holds; `data` is the event's own part."""
    return {
        "id": str(delivery_id),
        "type": str(event),
        "occurred_at": iso(occurred_at),
        "event_id": event_id,
        "order": _order(order, status),
        "data": data or {},
    }


def _estimate_sent(order_id: int) -> dict[str, Any]:
    """The estimate that was just sent (the one SENT estimate of the order): its number, total
    and decision deadline, from one SELECT of its lines."""
    lines = list(
        EstimateLine.objects.filter(estimate__order_id=order_id,
                                    estimate__status=EstimateStatus.SENT)
        .values_list("quantity", "unit_price", "estimate__kind", "estimate__decision_due")
    )
    total = sum(((q * p).quantize(Decimal("0.01")) for q, p, _k, _d in lines), Decimal("0.00"))
    kind, due = (lines[0][2], lines[0][3]) if lines else ("", None)
    return {"kind": kind, "total": _money(total), "decision_due": iso(due)}


def event_data(event: OrderEvent, kind: str, extra: dict | None = None) -> dict[str, Any]:
    """The `data` of a delivery about an order's history entry."""
    data: dict[str, Any] = {
        "action": event.action,
        "from_status": event.from_status or None,
        "to_status": event.to_status,
        "channel": event.channel,
        "actor": {"kind": event.actor_kind, "id": event.actor_id},
    }
    evidence = event.evidence or {}
    if kind == E.ESTIMATE_SENT:
        data.update(estimate=evidence.get("estimate", ""),
                    replaces=evidence.get("replaces") or None, **(extra or {}))
    elif kind == E.DECISION_RECORDED:
        data.update(decision="approved" if event.action in APPROVALS else "refused",
                    estimate=evidence.get("estimate") or None, evidence=evidence,
                    note=event.note)
    elif kind == E.WAITING_FOR_PARTS:
        data.update(missing=evidence.get("missing", {}))
    elif kind == E.PAYMENT_RECORDED:
        data.update(kind=event.action, amount=_money(evidence.get("amount", "0")),
                    method=evidence.get("method", ""), receipt=evidence.get("receipt", ""))
    return data


def event_payload(delivery_id, kind: str, event: OrderEvent, order: Order,
                  extra: dict | None = None) -> dict[str, Any]:
    return _envelope(delivery_id, kind, event.at, order=order, status=event.to_status,
                     event_id=event.pk, data=event_data(event, kind, extra))


def queue_for_event(event: OrderEvent) -> list[Delivery]:
    """The deliveries announcing `event` to the endpoints subscribed to it, inside the
    transaction that wrote the event (orders/events.py announces it here)."""
    types = types_for(event.action)
    if not types:
        return []
    wanted = _subscribers(types)
    if not wanted:
        return []
    order = event.order
    extra = _estimate_sent(order.pk) if any(t == E.ESTIMATE_SENT for _e, t in wanted) else None
    now = timezone.now()
    deliveries = []
    for endpoint_id, kind in wanted:
        delivery_id = uuid.uuid4()
        deliveries.append(Delivery(
            id=delivery_id, endpoint_id=endpoint_id, event=kind, order_event=event,
            created_at=now, next_attempt_at=now,
            payload=event_payload(delivery_id, kind, event, order,
                                  extra if kind == E.ESTIMATE_SENT else None),
        ))
    return Delivery.objects.bulk_create(deliveries)


def queue_for_changed_orders(
    *, order_ids: list[int], action: str, at: datetime.datetime, to_status: str = ""
) -> int:
    """The deliveries announcing the history entries `action` at `at` of the orders `order_ids`
    (a step of the deadline sweep), in one INSERT … SELECT per event type whatever the number
    of orders. They have no payload yet: the worker makes it from the entry when it first
    claims them (`fill_payloads`). Returns how many were written."""
    types = types_for(action)
    if not types or not order_ids:
        return 0
    wanted = _subscribers(types)
    written = 0
    now = timezone.now()
    for kind in types:
        endpoint_ids = [pk for pk, event in wanted if event == kind]
        if not endpoint_ids:
            continue
        order_sql, order_params = bulk.ids_sql(order_ids)
        endpoint_sql, endpoint_params = bulk.ids_sql(endpoint_ids)
        columns = ["id", "endpoint", "event", "order_event", "payload", "created_at", "status",
                   "attempt_count", "next_attempt_at", "claim", "last_answer"]
        when = bulk.db_value(Delivery, "created_at", now)
        sql = (
            f"INSERT INTO {bulk.table(Delivery)} "  # noqa: S608 — names from the models
            f"({', '.join(bulk.column(Delivery, c) for c in columns)}) "
            f"SELECT {bulk.random_uuid_sql()}, ep.id, %s, e.{bulk.column(OrderEvent, 'id')}, "
            f"NULL, %s, %s, 0, %s, '', '' "
            f"FROM {bulk.table(OrderEvent)} e CROSS JOIN ({endpoint_sql}) ep "
            f"WHERE e.{bulk.column(OrderEvent, 'order')} IN ({order_sql}) "
            f"AND e.{bulk.column(OrderEvent, 'action')} = %s "
            f"AND e.{bulk.column(OrderEvent, 'at')} = %s"
        )
        written += bulk.execute(sql, [
            str(kind), when, DeliveryStatus.QUEUED, when, *endpoint_params, *order_params,
            action, bulk.db_value(OrderEvent, "at", at),
        ])
    return written


def fill_payloads(deliveries: Iterable[Delivery]) -> None:
    """Make the payload of deliveries written without one (by the sweep), from their history
    entry, which never changes: every attempt then sends the same body. `deliveries` come with
    `order_event__order` selected."""
    for delivery in deliveries:
        if delivery.payload is not None or delivery.order_event is None:
            continue
        event = delivery.order_event
        delivery.payload = event_payload(delivery.pk, delivery.event, event, event.order)
        Delivery.objects.filter(pk=delivery.pk, payload__isnull=True).update(
            payload=delivery.payload
        )


def queue_for_message_failed(message, *, answer: str, at: datetime.datetime) -> list[Delivery]:
    """`message.failed`: a message to a customer failed for good (the worker gave up, the
    provider reported it undeliverable, or the number was wrong). Call inside the transaction
    that marked it failed."""
    wanted = _subscribers((E.MESSAGE_FAILED,))
    if not wanted:
        return []
    order = message.order if message.order_id else None
    data = {"message": {
        "id": message.pk, "event": message.event, "channel": message.channel,
        "attempts": message.attempt_count, "answer": (answer or "")[:300],
        "advice_id": message.advice_id,
    }}
    deliveries = []
    for endpoint_id, kind in wanted:
        delivery_id = uuid.uuid4()
        deliveries.append(Delivery(
            id=delivery_id, endpoint_id=endpoint_id, event=kind, created_at=at,
            next_attempt_at=at,
            payload=_envelope(delivery_id, kind, at, order=order, data=data),
        ))
    return Delivery.objects.bulk_create(deliveries)


def queue_for_stock_low(*, level, at: datetime.datetime) -> list[Delivery]:
    """`stock.low`: a part fell below its minimum at a center (stock.services announces it,
    inside the transaction of the change)."""
    wanted = _subscribers((E.STOCK_LOW,))
    if not wanted:
        return []
    data = {"part": {"id": level.part_id, "sku": level.part.sku, "name": level.part.name,
                     "minimum": level.part.minimum},
            "center": {"id": level.center_id, "name": level.center.name},
            "on_hand": level.on_hand, "reserved": level.reserved, "available": level.available}
    deliveries = []
    for endpoint_id, kind in wanted:
        delivery_id = uuid.uuid4()
        deliveries.append(Delivery(
            id=delivery_id, endpoint_id=endpoint_id, event=kind, created_at=at,
            next_attempt_at=at, payload=_envelope(delivery_id, kind, at, data=data)))
    return Delivery.objects.bulk_create(deliveries)


def queue_test_event(endpoint: Endpoint, *, user=None) -> Delivery:
    """A test delivery to `endpoint`, whatever it subscribes to (the admin's action)."""
    now = timezone.now()
    delivery_id = uuid.uuid4()
    return Delivery.objects.create(
        id=delivery_id, endpoint=endpoint, event=TEST_EVENT, created_at=now, next_attempt_at=now,
        payload=_envelope(delivery_id, TEST_EVENT, now, data={
            "endpoint": endpoint.pk, "requested_by": user.pk if user else None,
        }),
    )
