"""What the customer owes for an order. Payments come with their own issue; until then the
amount due is the whole charge."""

from decimal import Decimal

from repaircenter.orders.models import EstimateStatus, Order

ZERO = Decimal("0.00")


def agreed_total(order: Order) -> Decimal:
    """The sum of the agreed works: the lines of every approved estimate (use a prefetched
    order.estimates with lines to keep it to no extra query)."""
    return sum(
        (e.total for e in order.estimates.all() if e.status == EstimateStatus.APPROVED), ZERO
    )


def amount_due(order: Order) -> Decimal:
    """Returned unrepaired: the diagnostics fee the regulation set at intake. Otherwise the agreed
    works."""
    if order.unrepaired_reason:
        return order.diagnostics_fee
    return agreed_total(order)
