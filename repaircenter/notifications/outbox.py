"""Writing messages to the outbox. Called by the workflow inside the transaction of the change
that causes the message; the worker delivers them (notifications issue)."""

from django.conf import settings
from django.utils.translation import gettext as _

from repaircenter.core.models import CenterSettings
from repaircenter.customers.models import Channel
from repaircenter.orders.credentials import portal_url
from repaircenter.orders.models import Order

from .models import Message

# The built-in texts, one per event; {link} is the customer's order page. SMS gets the body only.
TEXTS = {
    "order_received": (
        _("Your order %(number)s"),
        _("%(center)s has your %(equipment)s, order %(number)s. Follow it here: %(link)s"),
    ),
    "estimate_ready": (
        _("Estimate for order %(number)s"),
        _("The estimate for your %(equipment)s (order %(number)s) is ready: %(total)s. "
          "Approve or refuse it here: %(link)s"),
    ),
    "ready_repaired": (
        _("Order %(number)s is ready"),
        _("Your %(equipment)s (order %(number)s) is repaired and ready to collect. Bring the "
          "paper intake order. %(link)s"),
    ),
    "ready_unrepaired": (
        _("Order %(number)s is ready to collect"),
        _("Your %(equipment)s (order %(number)s) is ready to collect, unrepaired. Bring the "
          "paper intake order. %(link)s"),
    ),
}


def _address(customer, channel: str) -> str:
    if channel == Channel.EMAIL:
        return customer.email
    return str(customer.phone)


def queue_customer_message(*, order: Order, event: str, total=None) -> Message | None:
    """One message on the customer's first preferred channel that has an address."""
    customer = order.customer
    channels = [c for c in customer.preferred_channels if _address(customer, c)]
    if not channels:
        return None
    channel = channels[0]
    subject, body = TEXTS[event]
    values = {
        "center": CenterSettings.load().name,
        "number": order.display_number,
        "equipment": str(order.equipment).strip(),
        "link": portal_url(order.portal_token),
        "total": f"{total} {settings.CURRENCY}" if total is not None else "",
    }
    return Message.objects.create(
        order=order,
        customer=customer,
        event=event,
        channel=channel,
        recipient=_address(customer, channel),
        subject=subject % values if channel == Channel.EMAIL else "",
        body=body % values,
    )
