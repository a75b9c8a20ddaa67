import pytest
from django.urls import reverse

from repaircenter.core.models import CenterSettings


@pytest.fixture
def center(db):
    """The center the public pages name, with its contacts and its welcome."""
    center = CenterSettings.load()
    center.name = "Fix-It Corner"
    center.address, center.phone = "12 High Street, London SE1 7PB", "020 7946 0000"
    center.email, center.hours = "desk@fixit.example", "Mon-Sat 9:00-18:00"
    center.intro = "We mend what others throw away.\nDiagnostics in two working days."
    center.save()
    return center


def order_url(order, name: str = "order") -> str:
    return reverse(f"portal:{name}", args=[order.link_token])


def visible_text(response) -> str:
    """The page's text as a reader sees it: no tags, entities decoded, spaces collapsed."""
    import html
    import re

    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def snapshot(order) -> tuple:
    """Everything a decision changes: a refused one must leave all of it as it was."""
    from repaircenter.notifications.models import Message
    from repaircenter.orders.models import Estimate, Order, OrderEvent

    return (
        Order.objects.values_list("status", "version", "pending_supplement", "decided_at",
                                  "unrepaired_reason").get(pk=order.pk),
        list(Estimate.objects.filter(order=order).order_by("pk").values_list("status")),
        OrderEvent.objects.filter(order=order).count(),
        Message.objects.filter(order=order).count(),
    )
