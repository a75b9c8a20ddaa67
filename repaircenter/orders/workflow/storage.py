"""The six months of storage: the clock starts at the first notice that reached the
customer; the shelf or bin where the equipment waits."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role

from ..models import STORAGE_LOCATION_MAX, EventChannel, Order
from ..states import READY_STATES, STORED_STATES
from .base import STORAGE_MONTHS, Actor, NotAllowed, Refused, WrongState, write_event

STORAGE_ROLES = frozenset({Role.RECEPTIONIST, Role.TECHNICIAN, Role.MANAGER})


@transaction.atomic
def start_storage_clock(
    *, order: Order, reached_at: datetime.datetime, channel: str, note: str = ""
) -> bool:
    """The first notification that reached the customer starts the six months of storage.

    Later ones change nothing. Returns whether this one started the clock.
    """
    storage_due = order.center.months_later(reached_at, STORAGE_MONTHS)
    started = Order.objects.filter(
        pk=order.pk, status__in=READY_STATES, customer_reached_at__isnull=True
    ).update(customer_reached_at=reached_at, storage_due=storage_due)
    if started:
        write_event(
            order, action="storage_started", actor=Actor.system(), channel=channel,
            at=reached_at, from_status=order.status, to_status=order.status, note=note,
        )
        order.customer_reached_at, order.storage_due = reached_at, storage_due
    return bool(started)



@transaction.atomic
def set_storage_location(*, order: Order, actor: Actor, location: str) -> Order:
    """Where the equipment waits for collection: a shelf or bin code (the state does not
    change). Set when it goes to storage; changed when it moves."""
    if not actor.roles & STORAGE_ROLES:
        raise NotAllowed(_("Your role does not allow putting equipment in storage."))
    location = " ".join(location.split()).upper()
    if not location:
        raise Refused(_("Type the shelf or bin code, e.g. A3 or B-12."))
    if len(location) > STORAGE_LOCATION_MAX:
        raise Refused(
            _("A shelf or bin code has at most %(max)s characters.")
            % {"max": STORAGE_LOCATION_MAX}
        )
    if not Order.objects.filter(pk=order.pk, status__in=STORED_STATES).update(
        storage_location=location
    ):
        raise WrongState(
            _("Only equipment waiting for collection is put in storage; order %(number)s is "
              "not.") % {"number": order.display_number}
        )
    write_event(
        order, action="storage_location_set", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status,
        note=_("Location: %(location)s") % {"location": location},
    )
    order.storage_location = location
    return order
