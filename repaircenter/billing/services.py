"""Taking money for an order and giving it back.

Payments on one order are serialized: each takes the order's row first (SELECT … FOR UPDATE on
PostgreSQL; on SQLite every writing transaction begins IMMEDIATE and so waits for the one
before), then checks the balance as the database holds it. Two cashiers taking the last payment
at once therefore never both succeed, and a refund never gives back more than was paid.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role
from repaircenter.orders.documents import issue_receipt
from repaircenter.orders.dues import ZERO, stored_balance_due, stored_paid_total
from repaircenter.orders.models import Order
from repaircenter.orders.states import is_payable
from repaircenter.orders.workflow import (
    Actor,
    NotAllowed,
    Refused,
    WrongState,
    actor_channel,
    record_event,
)

from .models import Payment, PaymentMethod

PAYMENT_ROLES = frozenset({Role.CASHIER, Role.MANAGER})
MAX_AMOUNT = Decimal("1000000")
@dataclass(frozen=True)
class PaymentResult:
    payment: Payment
    # True when the key had been used already: this is the payment it recorded then.
    repeated: bool


def can_take_payments(actor: Actor) -> bool:
    return bool(actor.roles & PAYMENT_ROLES)


def _clean_amount(amount) -> Decimal:
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise Refused(_("Enter the amount as a number, e.g. 45.00.")) from None
    if not value.is_finite() or value <= 0:
        raise Refused(_("The amount must be more than zero."))
    if value != value.quantize(Decimal("0.01")):
        raise Refused(_("The amount cannot have more than two decimals."))
    if value >= MAX_AMOUNT:
        raise Refused(_("This amount is too large for one payment."))
    return value.quantize(Decimal("0.01"))


def _repeat(key: uuid.UUID, order: Order, amount: Decimal, method: str) -> PaymentResult | None:
    """The payment already recorded with `key`, if any; refused if it is not this one."""
    earlier = Payment.objects.select_related("receipt", "taken_by").filter(
        idempotency_key=key
    ).first()
    if earlier is None:
        return None
    if earlier.order_id != order.pk or earlier.amount != amount or earlier.method != method:
        raise Refused(
            _("This form was already used for another payment (%(receipt)s). Reload the order "
              "and enter the payment again.") % {"receipt": earlier.receipt_number}
        )
    return PaymentResult(earlier, repeated=True)


def _record(
    *, order: Order, actor: Actor, amount: Decimal, method: str, key: uuid.UUID,
    reason: str = "", note: str = "", now: datetime.datetime | None = None,
) -> PaymentResult:
    """Record a payment (amount > 0) or a refund (amount < 0); see the module's notes."""
    if not can_take_payments(actor):
        raise NotAllowed(_("Only a cashier or a manager takes payments and gives refunds."))
    if method not in PaymentMethod.values:
        raise Refused(_("Choose how the money is paid: cash, card or bank transfer."))
    repeated = _repeat(key, order, amount, method)
    if repeated is not None:
        return repeated
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = Order.objects.select_for_update().get(pk=order.pk)
            # Checked again under the lock: the same form may have been sent twice at once.
            repeated = _repeat(key, order, amount, method)
            if repeated is not None:
                return repeated
            if not is_payable(locked):
                raise WrongState(
                    _("Order %(number)s is %(status)s: no payment can be taken now.")
                    % {"number": locked.display_number,
                       "status": locked.get_status_display().lower()}
                )
            balance = stored_balance_due(locked)
            if amount > 0 and amount > balance:
                raise Refused(
                    _("%(amount)s is more than the balance due of %(balance)s.")
                    % {"amount": _money(amount), "balance": _money(max(balance, ZERO))}
                    if balance > 0 else _("Nothing is due on order %(number)s.")
                    % {"number": locked.display_number}
                )
            if amount < 0 and -amount > stored_paid_total(locked):
                raise Refused(
                    _("A refund cannot be more than was paid: %(paid)s.")
                    % {"paid": _money(stored_paid_total(locked))}
                )
            payment = Payment(
                order=locked, amount=amount, method=method, reason=reason, note=note,
                idempotency_key=key, taken_by=actor.user, taken_at=now,
            )
            payment.receipt = issue_receipt(payment=payment, issued_by=actor.user, now=now)
            payment.save()
            record_event(
                locked, action="refund" if amount < 0 else "payment", actor=actor,
                channel=actor_channel(actor), at=now, note=reason or note,
                evidence={"amount": str(amount), "method": method,
                          "receipt": payment.receipt_number},
            )
    except IntegrityError:
        # The same key raced in on another connection (PostgreSQL): that one was recorded.
        repeated = _repeat(key, order, amount, method)
        if repeated is None:
            raise
        return repeated
    return PaymentResult(payment, repeated=False)


def _money(amount: Decimal) -> str:
    from repaircenter.core.templatetags.money import money

    return money(amount)


def record_payment(
    *, order: Order, actor: Actor, amount, method: str, idempotency_key: uuid.UUID,
    note: str = "", now: datetime.datetime | None = None,
) -> PaymentResult:
    """The customer pays `amount` (> 0, at most the balance due) by `method`; a receipt is
    issued. The same `idempotency_key` again answers with the first payment."""
    return _record(order=order, actor=actor, amount=_clean_amount(amount), method=method,
                   key=idempotency_key, note=note.strip(), now=now)


def record_refund(
    *, order: Order, actor: Actor, amount, method: str, reason: str,
    idempotency_key: uuid.UUID, now: datetime.datetime | None = None,
) -> PaymentResult:
    """The center gives `amount` (> 0, at most what was paid) back, for `reason`; recorded as a
    payment of -amount with its own receipt."""
    value = _clean_amount(amount)
    if not reason.strip():
        raise Refused(_("Give the reason for the refund."))
    return _record(order=order, actor=actor, amount=-value, method=method,
                   key=idempotency_key, reason=reason.strip(), now=now)
