"""The order page's history, drawn once for each set of events and then kept.

An event never changes once written (orders/workflow/base.py writes it, nothing edits it), so
the history drawn for an order's events stays right until another event is added: the page
asks only for the count and the last id of the order's events (read with the order) instead of
reading forty rows with their actors and drawing them again. Kept per language and time zone,
in the "fragments" cache (settings.CACHES)."""

from django.template import engines
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from repaircenter.core.fragments import kept
from repaircenter.orders.models import Order


def history_html(order: Order) -> SafeString:
    """`order` as orders/selectors.order_page reads it: with its events' count and last id."""
    key = (f"staff-history:{order.pk}:{order.event_count or 0}:{order.last_event_id}:"
           f"{translation.get_language()}:{timezone.get_current_timezone_name()}")
    html = kept(key, lambda: engines["jinja2"].get_template("staff/_order_history.html").render(
        {"order": order, "events": order.events.select_related("actor")}))
    return mark_safe(html)  # noqa: S308 - drawn by the autoescaping template above
