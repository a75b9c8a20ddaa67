"""Disposal: a storage period that ran out makes the order due for disposal (the customer is
warned); a manager confirms the disposal of one or many orders, with a disposal act. Nothing is
disposed of automatically."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.core import bulk

from .. import documents as paperwork
from ..models import (
    DisposalAct,
    DisposalMethod,
    EventChannel,
    Order,
    OrderEvent,
    Status,
)
from ..transitions import TRANSITIONS
from .base import Actor, Conflict, NotAllowed, Refused, actor_channel, change_state, check
from .many import col, transition_many
from .records import erase_passcodes


@transaction.atomic
def mark_disposal_due(*, order: Order, now: datetime.datetime | None = None) -> Order:
    now = now or timezone.now()
    check(TRANSITIONS["mark_disposal_due"], order, Actor.system())
    _require_storage_over(order, now)
    change_state(
        "mark_disposal_due", order=order, actor=Actor.system(), channel=EventChannel.SYSTEM,
        expected_version=None, now=now,
    )
    return order



@transaction.atomic
def confirm_disposal(
    *, order: Order, actor: Actor, method: str, note: str, expected_version: int | None = None
) -> Order:
    """The manager confirms the disposal of one order (the order page's button): a disposal act
    of its own, as `confirm_disposals` makes for a batch."""
    check(TRANSITIONS["confirm_disposal"], order, actor)
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            _("Order %(number)s was changed by someone else a moment ago. "
              "Nothing was saved: look at it again and repeat if still needed.")
            % {"number": order.display_number}
        )
    if not note.strip():
        raise Refused(_("Say how the equipment is disposed of."))
    confirm_disposals(numbers=[order.number], actor=actor, method=method, note=note)
    order.refresh_from_db()
    return order


def _require_storage_over(order: Order, now: datetime.datetime) -> None:
    if order.storage_due is None or order.storage_due > now:
        raise Refused(_("The storage period of this order has not run out."))


def customer_reached():
    """The order's history shows a notice that reached the customer (the storage clock's
    start): without it nothing may be disposed of, whatever the dates say."""
    return Exists(OrderEvent.objects.filter(order=OuterRef("pk"), action="storage_started"))


def disposal_refusals(orders: Iterable[Order], now: datetime.datetime) -> dict[int, str]:
    """Why each of `orders` (annotated with `reached`) may not be disposed of now, by number."""
    reasons = {}
    for order in orders:
        if order.status != Status.DISPOSAL_DUE:
            reasons[order.number] = _("%(number)s is %(status)s, not due for disposal.") % {
                "number": order.display_number, "status": order.get_status_display().lower()}
        elif not order.reached or order.customer_reached_at is None:
            reasons[order.number] = _(
                "%(number)s: no notice ever reached the customer; it cannot be disposed of."
            ) % {"number": order.display_number}
        elif order.storage_due is None or order.storage_due > now:
            reasons[order.number] = _(
                "%(number)s: its storage period has not run out."
            ) % {"number": order.display_number}
    return reasons


@transaction.atomic
def confirm_disposals(
    *, numbers: Iterable[int], actor: Actor, method: str, note: str = "",
    now: datetime.datetime | None = None,
) -> DisposalAct:
    """The manager confirms the disposal of one or many orders: all of them or none. Each must
    be due for disposal, with its storage period over and a notice that reached the customer.
    Writes one disposal act naming exactly the orders disposed of."""
    transition = TRANSITIONS["confirm_disposal"]
    if not actor.roles & transition.roles:
        raise NotAllowed(
            _("Your role does not allow this: %(action)s.") % {"action": transition.label}
        )
    now = now or timezone.now()
    numbers = sorted(set(numbers))
    if not numbers:
        raise Refused(_("Tick the orders to dispose of."))
    orders = list(Order.objects.filter(number__in=numbers).annotate(reached=customer_reached()))
    missing = set(numbers) - {o.number for o in orders}
    if missing:
        raise Refused(_("There is no order number %(numbers)s.") % {
            "numbers": ", ".join(str(n) for n in sorted(missing))})
    reasons = disposal_refusals(orders, now)
    if reasons:
        raise Refused(
            " ".join([_("Nothing was disposed of."), *reasons.values()])
        )
    if method not in DisposalMethod.values:
        raise Refused(_("Choose how the equipment is disposed of."))
    # The act is issued as a document (numbered, rendered, stored with its PDF) for exactly
    # these orders; if any of them changes before the UPDATE below, all of it rolls back.
    act = DisposalAct(method=method, note=note.strip(), confirmed_at=now,
                      confirmed_by=actor.user)
    act.document = paperwork.issue_disposal_act(
        act=act, order_ids=[o.pk for o in orders], issued_by=actor.user, now=now)
    act.number = act.document.number
    act.save()
    id_sql, id_params = bulk.ids_sql([o.pk for o in orders])
    reached = (f"EXISTS (SELECT 1 FROM {bulk.table(OrderEvent)} e "  # noqa: S608
               f"WHERE e.{bulk.column(OrderEvent, 'order')} = {bulk.table(Order)}.{col('id')} "
               f"AND e.{bulk.column(OrderEvent, 'action')} = %s)")
    changed = transition_many(
        "confirm_disposal", actor=actor, channel=actor_channel(actor), now=now,
        changes={"disposed_at": now, "disposal_act": act.pk},
        where=(f"{col('id')} IN ({id_sql}) AND {col('storage_due')} <= %s "
               f"AND {col('customer_reached_at')} IS NOT NULL AND {reached}"),
        params=[*id_params, bulk.db_value(Order, "storage_due", now), "storage_started"],
        note=note.strip(),
        evidence={"act": act.display_number, "method": method},
    )
    if len(changed) != len(orders):
        # Someone issued one of them, or another manager disposed of it, a moment ago.
        raise Conflict(
            _("One of the orders was changed by someone else a moment ago. Nothing was disposed "
              "of: look at the list again.")
        )
    erase_passcodes(order_ids=changed, actor=actor, now=now)
    return act
