"""The order page's history, drawn once for each set of events and then kept.

An event never changes once written (orders/workflow/base.py writes it, nothing edits it), so
the history drawn for an order's events stays right until another event is added: the page
asks only for the count and the last id of the order's events (read with the order) instead of
reading forty rows with their actors and drawing them again. Kept per language and time zone,
in the "fragments" cache (settings.CACHES)."""

from django.core.cache import caches
from django.db.models import Count, Max
from django.template import engines
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from repaircenter.orders.models import Order


def history_html(order: Order) -> SafeString:
    if hasattr(order, "last_event_id"):  # read with the order (orders/selectors.order_page)
        stamp = {"count": order.event_count or 0, "last": order.last_event_id}
    else:
        stamp = order.events.aggregate(count=Count("id"), last=Max("id"))
    key = (f"staff-history:{order.pk}:{stamp['count']}:{stamp['last']}:"
           f"{translation.get_language()}:{timezone.get_current_timezone_name()}")
    fragments = caches["fragments"]
    html = fragments.get(key)
    if html is None:
        events = order.events.select_related("actor")
        html = engines["jinja2"].get_template("staff/_order_history.html").render(
            {"order": order, "events": events})
        fragments.set(key, html, timeout=None)
    return mark_safe(html)  # noqa: S308 - drawn by the autoescaping template above
