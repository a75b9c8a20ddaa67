"""What the customer owes for an order, always derived: what is charged less what was paid."""

from decimal import Decimal

from django.db.models import Sum

from .models import EstimateStatus, Order

ZERO = Decimal("0.00")


def agreed_total(order: Order) -> Decimal:
    """The sum of the agreed works: the lines of every approved estimate (use a prefetched
    order.estimates with lines to keep it to no extra query)."""
    return sum(
        (e.total for e in order.estimates.all() if e.status == EstimateStatus.APPROVED), ZERO
    )


def amount_due(order: Order) -> Decimal:
    """What the order costs the customer. Returned unrepaired: the diagnostics fee the
    regulation set at intake. Otherwise the agreed works."""
    if order.unrepaired_reason:
        return order.diagnostics_fee
    return agreed_total(order)


def paid_total(order: Order) -> Decimal:
    """Payments less refunds (from a prefetched order.payments)."""
    return sum((payment.amount for payment in order.payments.all()), ZERO)


def balance_due(order: Order) -> Decimal:
    """What the customer still owes; negative: what the center owes back."""
    return amount_due(order) - paid_total(order)


def stored_paid_total(order: Order) -> Decimal:
    """Payments less refunds as the database holds them now (one query, no prefetch)."""
    return order.payments.model.objects.filter(order=order).aggregate(
        total=Sum("amount")
    )["total"] or ZERO


def stored_balance_due(order: Order) -> Decimal:
    """The balance as the database holds it now: estimates, lines and payments read afresh.
    For checks made inside the transaction that holds the order."""
    fresh = Order.objects.prefetch_related("estimates__lines").get(pk=order.pk)
    return amount_due(fresh) - stored_paid_total(order)
