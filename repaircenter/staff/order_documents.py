"""The order page's documents, drawn once for each set of them and then kept.

An issued document is never changed nor deleted (documents/models.py), so the table drawn for an
order's documents stays right until one is added: the page asks only for their count and the
last id (orders/selectors.documents_stamp, read with the order) instead of reading the rows and
drawing them again. Kept per language and time zone, in the "fragments" cache (settings.CACHES),
as the history is (staff/history.py)."""

from django.utils.safestring import SafeString

from repaircenter.core.fragments import kept_drawing
from repaircenter.orders.models import Order


def order_documents_html(order: Order) -> SafeString:
    """`order` as orders/selectors.order_page(stamped=True) reads it: with its documents'
    count and last id."""
    def values() -> dict:
        # The text each was issued with is for its own page and PDF only.
        documents = list(order.documents.defer("html"))
        return {"order": order, "documents": documents,
                "replaced_documents": {d.replaces_id for d in documents if d.replaces_id}}

    return kept_drawing(
        f"staff-documents:{order.pk}:{order.document_count or 0}:{order.last_document_id}",
        "staff/_order_documents.html", values)
