"""Transfers: the equipment sent to another center or to the workshop and back, with the seal
or waybill number, who sent it and who received it. The order's state does not change; where
its equipment is does, and it is handed over only at its own center."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role
from repaircenter.centers.models import Center

from ..models import EventChannel, Order, Transfer
from ..states import CLOSED_STATES
from .base import Actor, Conflict, NotAllowed, Refused, WrongState, lock_order, write_event

# Who carries equipment between centers: the counter and the bench.
TRANSFER_ROLES = frozenset({Role.RECEPTIONIST, Role.TECHNICIAN, Role.MANAGER})
SEAL_MAX = Transfer._meta.get_field("seal").max_length


def where_is(order: Order) -> tuple[Center | None, Transfer | None]:
    """Where the equipment is: (its center, None), or (None, the transfer under way). One
    query (the order's transfers, newest first); the prefetched ones if the page read them."""
    transfers = sorted(order.transfers.all(), key=lambda t: (t.sent_at, t.pk), reverse=True)
    last = transfers[0] if transfers else None
    if last is None:
        return order.center, None
    if last.under_way:
        return None, last
    return last.to_center, None


def is_away(order: Order) -> bool:
    """The equipment is not at the order's own center (on its way, or at another)."""
    here, _moving = where_is(order)
    return here is None or here.pk != order.center_id


def is_overdue(transfer: Transfer, now: datetime.datetime | None = None) -> bool:
    """Not received within REPAIRCENTER_TRANSFER_DAYS days of being sent."""
    limit = datetime.timedelta(days=settings.TRANSFER_DAYS)
    return transfer.under_way and (now or timezone.now()) - transfer.sent_at > limit


def send_transfer(*, order: Order, actor: Actor, to_center: Center, seal: str,
                  now: datetime.datetime | None = None) -> Transfer:
    """Record the equipment leaving where it is for `to_center`, sealed with `seal`."""
    if not actor.roles & TRANSFER_ROLES:
        raise NotAllowed(_("Your role does not allow sending equipment to another center."))
    seal = " ".join(seal.split())
    if not seal:
        raise Refused(_("Type the number of the seal or the waybill it travels under."))
    if len(seal) > SEAL_MAX:
        raise Refused(_("A seal or waybill number has at most %(max)s characters.")
                      % {"max": SEAL_MAX})
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = lock_order(order)
            if locked.status in CLOSED_STATES:
                raise WrongState(_("Order %(number)s is closed: its equipment has left.")
                                 % {"number": order.display_number})
            here, moving = where_is(locked)
            if moving is not None:
                raise Conflict(_("The equipment is already on its way to %(center)s.")
                               % {"center": moving.to_center.name})
            if not to_center.active:
                raise Refused(_("%(center)s is closed.") % {"center": to_center.name})
            if here.pk == to_center.pk:
                raise Refused(_("The equipment is already at %(center)s.")
                              % {"center": to_center.name})
            transfer = Transfer.objects.create(
                order=locked, from_center=here, to_center=to_center, seal=seal,
                sent_by=actor.user, sent_at=now,
            )
            write_event(
                order, action="transfer_sent", actor=actor, channel=EventChannel.STAFF, at=now,
                from_status=locked.status, to_status=locked.status,
                note=_("From %(from)s to %(to)s, seal %(seal)s")
                % {"from": here.name, "to": to_center.name, "seal": seal},
            )
    except IntegrityError:
        # Someone else sent it at the same moment (one transfer under way per order).
        raise Conflict(_("Someone else has just sent this equipment.")) from None
    return transfer


@transaction.atomic
def receive_transfer(*, order: Order, actor: Actor, transfer_id: int,
                     now: datetime.datetime | None = None) -> bool:
    """Record the equipment arriving. Returns False when it had already been received (a
    second click, or a colleague at the same moment): it is recorded once."""
    if not actor.roles & TRANSFER_ROLES:
        raise NotAllowed(_("Your role does not allow receiving equipment."))
    now = now or timezone.now()
    transfer = Transfer.objects.select_related("from_center", "to_center").filter(
        pk=transfer_id, order=order).first()
    if transfer is None:
        raise Refused(_("There is no such transfer of order %(number)s.")
                      % {"number": order.display_number})
    if not Transfer.objects.filter(pk=transfer.pk, received_at=None).update(
            received_at=now, received_by=actor.user):
        return False
    write_event(
        order, action="transfer_received", actor=actor, channel=EventChannel.STAFF, at=now,
        from_status=order.status, to_status=order.status,
        note=_("At %(to)s from %(from)s, seal %(seal)s")
        % {"to": transfer.to_center.name, "from": transfer.from_center.name,
           "seal": transfer.seal},
    )
    return True
