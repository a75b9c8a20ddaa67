"""The order page's history, drawn once for each set of events and then kept.

An event never changes once written (orders/workflow/base.py writes it, nothing edits it), so
the history drawn for an order's events stays right until another event is added: the page
asks only for the count and the last id of the order's events (read with the order) instead of
reading forty rows with their actors and drawing them again. Kept per language and time zone,
in the "fragments" cache (settings.CACHES)."""

from django.utils.safestring import SafeString

from repaircenter.core.fragments import kept_drawing
from repaircenter.orders.models import Order


def history_html(order: Order) -> SafeString:
    """`order` as orders/selectors.order_page reads it: with its events' count and last id."""
    return kept_drawing(
        f"staff-history:{order.pk}:{order.event_count or 0}:{order.last_event_id}",
        "staff/_order_history.html",
        lambda: {"order": order, "events": order.events.select_related("actor")})
