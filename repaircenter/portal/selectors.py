"""The queries behind the customer's pages: a fixed number each, whatever the order's history."""

import re

from django.db.models import Prefetch

from repaircenter.consult.models import ChatMessage
from repaircenter.documents.models import Document, DocumentKind
from repaircenter.orders.models import Estimate, EstimateStatus, Order, OrderEvent

# A link token as new_portal_token() makes them (192 bits: 32 characters); anything else is
# answered 404 without asking the database. At least 22 characters: 128 bits.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")

# The events the customer's timeline dates its steps by.
TIMELINE_ACTIONS = (
    "send_estimate", "declare_not_repairable", "approve", "refuse", "lapse_decision",
    "approve_supplement", "refuse_supplement", "refuse_required_supplement",
    "lapse_supplement", "lapse_required_supplement", "start_repair", "finish_works",
    "pass_test", "fail_test", "mark_disposal_due",
)
CHAT_HISTORY = 100  # messages shown when the page opens; older ones stay in the database


def customer_documents():
    """The documents a customer may download from their order's page: every kind about their
    order alone. A disposal act may list several customers' orders, so it is not offered."""
    return Document.objects.exclude(kind=DocumentKind.DISPOSAL_ACT)


def _by_token(token: str):
    if not TOKEN.match(token or ""):
        return None
    return Order.objects.filter(portal_token=token)


def order_for_link(token: str) -> Order | None:
    """The order behind a link, with what every page behind it shows in its header."""
    orders = _by_token(token)
    if orders is None:
        return None
    return orders.select_related("customer", "equipment", "equipment__kind").first()


def order_page(token: str) -> Order | None:
    """The order with its estimates (no drafts) and their lines, the events its timeline needs,
    its payments, its documents, and its chat thread."""
    orders = _by_token(token)
    if orders is None:
        return None
    return (
        orders.select_related("customer", "equipment", "equipment__kind", "chat_thread")
        .prefetch_related(
            Prefetch(
                "estimates",
                queryset=Estimate.objects.exclude(status=EstimateStatus.DRAFT)
                .prefetch_related("lines"),
            ),
            Prefetch(
                "events",
                queryset=OrderEvent.objects.filter(action__in=TIMELINE_ACTIONS).order_by("at",
                                                                                         "pk"),
            ),
            "payments",
            Prefetch("documents", queryset=customer_documents().order_by("issued_at", "pk")),
        )
        .first()
    )


def document_of(order: Order, pk: int) -> Document | None:
    """One of the order's own documents, or None (another order's, a disposal act, none)."""
    return customer_documents().filter(pk=pk, orders=order).first()


def chat_history(order: Order) -> list[ChatMessage]:
    """The last messages of the order's chat, oldest first: one query, thread or not."""
    newest = (
        ChatMessage.objects.filter(thread__order=order)
        .select_related("user", "thread")
        .order_by("-pk")[:CHAT_HISTORY]
    )
    return list(reversed(newest))
