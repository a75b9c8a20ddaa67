"""Issuance: the equipment is handed over, fully paid, on the pickup code from the paper
original (or, without it, on the identity document a manager records). Wrong codes are counted;
five lock issuance until a manager unlocks it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from repaircenter.accounts.roles import Role
from repaircenter.core.templatetags.money import money

from .. import documents as paperwork
from ..credentials import pickup_code_matches
from ..dues import stored_balance_due
from ..models import EventChannel, Order
from ..transitions import TRANSITIONS
from ..warranty import fix_warranty
from .base import (
    Actor,
    NotAllowed,
    Refused,
    actor_channel,
    change_state,
    check,
    lock_order,
    record_event,
    require_unchanged_state,
)
from .records import erase_passcodes
from .transfers import where_is

PICKUP_CODE_MAX_FAILURES = 5


@dataclass(frozen=True)
class LostOriginal:
    """The customer lost the paper original: the identity document a manager saw instead, and
    the customer's statement."""

    document_type: str
    document_number: str
    statement: str


class _WrongPickupCode(Exception):
    pass


def issue(
    *,
    order: Order,
    actor: Actor,
    pickup_code: str = "",
    lost_original: LostOriginal | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Order:
    """Hand the equipment over: only when ready (or due for disposal), only with nothing left
    to pay, and only on the pickup code from the paper original or, when the original is lost,
    by a manager who records the identity document shown and the customer's statement.

    A wrong code is refused and counted (the count survives the refusal); at five, issuance of
    the order locks until a manager unlocks it. On success the completion certificate, and for
    a repaired order the warranty card, are issued.
    """
    try:
        with transaction.atomic():
            return _issue(order, actor, pickup_code, lost_original, expected_version, note)
    except _WrongPickupCode:
        left = _count_wrong_code(order, actor)
    if left:
        raise Refused(
            ngettext(
                "This pickup code does not match the order's paper original. %(left)d more "
                "wrong code locks issuance of this order.",
                "This pickup code does not match the order's paper original. %(left)d more "
                "wrong codes lock issuance of this order.",
                left,
            ) % {"left": left}
        )
    raise Refused(
        _("This pickup code does not match either. Issuance of order %(number)s is now locked: "
          "a manager must check the customer's identity and unlock it.")
        % {"number": order.display_number}
    )


def _issue(order, actor, pickup_code, lost_original, expected_version, note) -> Order:
    transition = TRANSITIONS["issue"]
    check(transition, order, actor)
    locked = lock_order(order)
    require_unchanged_state(transition, order)
    here, moving = where_is(locked)
    if moving is not None or here.pk != locked.center_id:
        # The customer collects at the center that took the equipment in.
        raise Refused(
            _("The equipment of order %(number)s is not back at %(center)s yet (%(where)s): "
              "receive it here first.")
            % {"number": order.display_number, "center": locked.center.name,
               "where": (_("on its way to %(to)s") % {"to": moving.to_center.name}) if moving
               else (_("at %(at)s") % {"at": here.name})}
        )
    if locked.pickup_failures >= PICKUP_CODE_MAX_FAILURES:
        raise Refused(
            _("Issuance of order %(number)s is locked after %(count)d wrong pickup codes. A "
              "manager must unlock it.")
            % {"number": order.display_number, "count": locked.pickup_failures}
        )
    balance = stored_balance_due(locked)
    if balance > 0:
        raise Refused(
            _("Order %(number)s is not fully paid: %(balance)s is still due. Take the payment "
              "first.") % {"number": order.display_number, "balance": _money(balance)}
        )
    if balance < 0:
        raise Refused(
            _("The customer paid %(over)s more than order %(number)s costs. Refund it first.")
            % {"number": order.display_number, "over": _money(-balance)}
        )
    evidence: dict[str, Any]
    if pickup_code.strip():
        if not pickup_code_matches(pickup_code, locked.pickup_code_digest):
            raise _WrongPickupCode
        evidence = {"original": "pickup code presented"}
    elif lost_original is not None:
        if Role.MANAGER not in actor.roles:
            raise NotAllowed(_("Only a manager may issue without the paper original."))
        fields = {
            "identity_document_type": lost_original.document_type.strip(),
            "identity_document_number": lost_original.document_number.strip(),
            "statement": lost_original.statement.strip(),
        }
        if not all(fields.values()):
            raise Refused(
                _("Without the original, record the identity document's type and number and "
                  "the customer's statement that the original is lost.")
            )
        evidence = {"original": "lost", **fields}
    else:
        raise Refused(_("Scan or type the pickup code from the customer's paper original."))
    now = timezone.now()
    change_state(
        "issue", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, evidence=evidence, now=now,
        changes={"issued_at": now, "pickup_failures": 0},
    )
    if not locked.unrepaired_reason:
        fix_warranty(locked, locked.center.local_date(now))
    erase_passcodes(order_ids=[order.pk], actor=actor, now=now)
    paperwork.issue_handover_documents(order=order, issued_by=actor.user, now=now)
    return order


def _count_wrong_code(order: Order, actor: Actor) -> int:
    """Count one wrong code on its own transaction; returns how many tries are left."""
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(pickup_failures=F("pickup_failures") + 1)
        failures = Order.objects.values_list("pickup_failures", flat=True).get(pk=order.pk)
        record_event(order, action="pickup_code_wrong", actor=actor,
                     channel=actor_channel(actor),
                     note=_("Attempt %(count)d of %(limit)d.")
                     % {"count": failures, "limit": PICKUP_CODE_MAX_FAILURES})
        if failures == PICKUP_CODE_MAX_FAILURES:
            record_event(order, action="issuance_locked", actor=Actor.system(),
                         channel=EventChannel.SYSTEM)
    order.pickup_failures = failures
    return max(PICKUP_CODE_MAX_FAILURES - failures, 0)


@transaction.atomic
def unlock_issuance(*, order: Order, actor: Actor, note: str) -> Order:
    """A manager, having checked who is at the counter, lets issuance be tried again."""
    if Role.MANAGER not in actor.roles:
        raise NotAllowed(_("Only a manager may unlock issuance."))
    if not note.strip():
        raise Refused(_("Say why issuance is unlocked (whom you checked, and how)."))
    locked = lock_order(order)
    if locked.pickup_failures < PICKUP_CODE_MAX_FAILURES:
        raise Refused(_("Issuance of this order is not locked."))
    Order.objects.filter(pk=order.pk).update(pickup_failures=0)
    record_event(order, action="issuance_unlocked", actor=actor, channel=EventChannel.STAFF,
                 note=note.strip())
    order.pickup_failures = 0
    return order


def issuance_locked(order: Order) -> bool:
    return order.pickup_failures >= PICKUP_CODE_MAX_FAILURES


def _money(amount: Decimal) -> str:
    return money(amount)

