"""The documents an order gets, each built from the order as it stands at the moment of issue;
the documents app numbers, renders and stores them (documents/issuing.py).

Every function here is called inside the transaction of the change that causes the document
(intake, sending an estimate, a payment, issuance), so the document and its cause are saved
together or not at all.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import wraps

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from repaircenter.documents.codes import barcode_svg
from repaircenter.documents.issuing import issue_document, render_pdf
from repaircenter.documents.models import Document, DocumentKind

from .credentials import (
    format_pickup_code,
    normalize_pickup_code,
    pickup_code_matches,
    portal_url_hint,
)
from .dues import ZERO, amount_due
from .models import Estimate, EstimateLine, EstimateStatus, Order, Status, StressTest
from .states import CLOSED_STATES, STATES
from .warranty import line_months, warranty_end


def in_customers_language(issue):
    """The paper in its customer's language (their name on it, their copy to keep): the texts,
    dates and amounts it shows, and its title."""

    @wraps(issue)
    def wrapped(**kwargs):
        about = kwargs.get("order") or kwargs.get("estimate") or kwargs.get("payment")
        order = about if isinstance(about, Order) else about.order
        with translation.override(order.customer.language):
            return issue(**kwargs)

    return wrapped


def _order_with_everything(order: Order) -> Order:
    return (
        Order.objects.select_related("center", "customer", "equipment", "equipment__kind",
                                     "received_by", "technician", "warranty_of",
                                     "intake_signature")
        .prefetch_related("estimates__lines__done__done_by", "estimates__lines__covers",
                          "payments", "stress_tests__run_by", "condition_checks")
        .get(pk=order.pk)
    )


@in_customers_language
def issue_intake_order(*, order: Order, issued_by=None, now=None) -> Document:
    """The center's copy of the intake order: everything the customer signed, without the
    pickup code (that exists only on the customer's paper)."""
    order = _order_with_everything(order)
    # A stored copy holds no working link: only the first characters of its token.
    link = portal_url_hint(order.portal_token_prefix)
    return issue_document(
        kind=DocumentKind.INTAKE_ORDER,
        title=_("Intake order %(number)s (center's copy)") % {"number": order.display_number},
        context={"order": order, "center": order.center, "link": link, "link_qr": "",
                 "copy": "center"},
        orders=[order], issued_by=issued_by, now=now,
    )


@in_customers_language
def issue_estimate(*, estimate: Estimate, issued_by=None, now=None) -> Document:
    order = _order_with_everything(estimate.order)
    estimate = Estimate.objects.prefetch_related("lines").select_related("replaces").get(
        pk=estimate.pk
    )
    return issue_document(
        kind=DocumentKind.ESTIMATE,
        title=_("%(kind)s %(number)s") % {"kind": estimate.get_kind_display(),
                                          "number": estimate.display_number},
        context={"order": order, "center": order.center, "estimate": estimate},
        orders=[order], issued_by=issued_by, now=now,
    )


@in_customers_language
def issue_receipt(*, payment, issued_by=None, now=None) -> Document:
    """The receipt of one payment or refund, with what was charged, paid and left to pay
    counting this one. `payment` is not saved yet: the receipt is issued first, and the
    payment refers to it."""
    order = _order_with_everything(payment.order)
    paid_before = sum((p.amount for p in order.payments.all()), ZERO)
    charged = amount_due(order)
    paid = paid_before + payment.amount
    return issue_document(
        kind=DocumentKind.RECEIPT,
        title=(_("Refund receipt for order %(number)s") if payment.amount < 0
               else _("Payment receipt for order %(number)s")) % {"number": order.display_number},
        context={"order": order, "center": order.center, "payment": payment, "charged": charged,
                 "paid": paid,
                 "balance": charged - paid, "balance_abs": abs(charged - paid),
                 "refund": payment.amount < 0,
                 "shown_amount": abs(payment.amount)},
        orders=[order], issued_by=issued_by, now=now,
    )


# What the customer was told about collecting the equipment: the notices the disposal act
# lists, and the staff's disposal list shows beside each order.
COLLECTION_NOTICES = (*(s.notice for s in STATES.values() if s.stored and s.notice),
                      "storage_reminder")
# The notice of the state "due for disposal": the warning that the equipment will be disposed of.
DISPOSAL_WARNING = STATES[Status.DISPOSAL_DUE].notice


def disposal_warning_told(messages) -> str:
    """What became of the disposal warning, in one sentence for the list and the act, from the
    order's messages (any events; only the warning's are read): delivered, sent without word
    of delivery, not sent yet, failed, or never written. Never more than happened."""
    warnings = [m for m in messages if m.event == DISPOSAL_WARNING]

    def when(moment) -> str:
        return date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT") if moment else ""

    for status in ("delivered", "sent"):
        done = [m for m in warnings if m.status == status]
        if done:
            m = done[0]
            if status == "delivered":
                return _("Disposal warning delivered on %(date)s (%(channel)s).") % {
                    "date": when(m.delivered_at), "channel": m.get_channel_display()}
            return _("Disposal warning sent on %(date)s (%(channel)s); no word that it "
                     "arrived.") % {"date": when(m.sent_at), "channel": m.get_channel_display()}
    waiting = [m for m in warnings if m.status in ("pending", "queued", "sending")]
    if waiting:
        return _("Disposal warning written on %(date)s and not sent yet: the customer has not "
                 "been warned.") % {"date": when(waiting[0].created_at)}
    if warnings:
        return _("Disposal warning failed (%(channel)s): the customer has not been warned.") % {
            "channel": ", ".join(sorted({str(m.get_channel_display()) for m in warnings}))}
    return _("No disposal warning on record: the customer has not been warned.")


@dataclass(frozen=True)
class WarrantyLine:
    line: EstimateLine
    months: int
    until: datetime.date


def agreed_lines(order: Order) -> list[EstimateLine]:
    """The lines of the approved estimates, main first then supplements (prefetched order)."""
    return [
        line for estimate in order.estimates.all() if estimate.status == EstimateStatus.APPROVED
        for line in estimate.lines.all()
    ]


def _passed_test(order: Order) -> StressTest | None:
    passed = [t for t in order.stress_tests.all() if t.passed]
    return passed[-1] if passed else None


@in_customers_language
def issue_completion_certificate(*, order: Order, issued_by=None, now=None) -> Document:
    """What was done (works, parts with serials, the stress tests) or, returned unrepaired,
    why not; the dates; and what was charged and paid."""
    order = _order_with_everything(order)
    now = now or timezone.now()
    charged = amount_due(order)
    paid = sum((p.amount for p in order.payments.all()), ZERO)
    lines = [] if order.unrepaired_reason else agreed_lines(order)
    return issue_document(
        kind=DocumentKind.COMPLETION_CERTIFICATE,
        title=_("Completion certificate for order %(number)s") % {"number": order.display_number},
        context={
            "order": order, "center": order.center, "lines": lines,
            "works_total": sum((line.total for line in lines), ZERO),
            "tests": list(order.stress_tests.all()), "passed_test": _passed_test(order),
            "charged": charged, "paid": paid, "balance": charged - paid, "handed_over": now,
            "repaired": not order.unrepaired_reason,
        },
        orders=[order], issued_by=issued_by, now=now,
    )


def warranty_lines(order: Order, start: datetime.date) -> list[WarrantyLine]:
    """Each agreed line with its period and last day: as fixed at issuance (orders/warranty.py),
    else counted from `start`. A line repaired under an earlier warranty keeps that end date."""
    kind_months = order.equipment.kind.warranty_months
    lines = []
    for line in agreed_lines(order):
        months = line_months(line, kind_months)
        until = line.warranty_until or warranty_end(start, months)
        if until is not None:  # a line with no warranty is not on the card
            lines.append(WarrantyLine(line, months, until))
    return lines


@in_customers_language
def issue_warranty_card(*, order: Order, issued_by=None, now=None) -> Document:
    """Per repaired line, its warranty period from the day of issuance; the equipment's serial
    number, so that the card belongs to this piece of equipment only."""
    order = _order_with_everything(order)
    now = now or timezone.now()
    start = order.center.local_date(now)
    lines = warranty_lines(order, start)
    return issue_document(
        kind=DocumentKind.WARRANTY_CARD,
        title=_("Warranty card for order %(number)s") % {"number": order.display_number},
        context={"order": order, "center": order.center, "lines": lines, "start": start,
                 "until": max((w.until for w in lines), default=start)},
        orders=[order], issued_by=issued_by, now=now,
    )


def issue_handover_documents(*, order: Order, issued_by=None, now=None) -> list[Document]:
    """On issuance: the completion certificate, and the warranty card if it was repaired. The
    receipts were issued with each payment."""
    documents = [issue_completion_certificate(order=order, issued_by=issued_by, now=now)]
    if not order.unrepaired_reason:
        documents.append(issue_warranty_card(order=order, issued_by=issued_by, now=now))
    return documents


def issue_disposal_act(*, act, order_ids: list[int], issued_by=None, now=None) -> Document:
    """The disposal act of a batch: each order's equipment, serial number, customer, and the
    notices that reached the customer (the dates notified). `act` (orders.DisposalAct, not
    saved yet) gives the method, the note and who confirmed."""
    # The customer's messages are the notifications app's, above this one: they are read
    # through the order's relation to them, not imported.
    message = Order._meta.get_field("messages").related_model
    orders = list(
        Order.objects.filter(pk__in=order_ids)
        .select_related("customer", "equipment", "equipment__kind")
        .prefetch_related(Prefetch(
            "messages",
            queryset=message.objects.filter(event__in=COLLECTION_NOTICES).order_by("pk"),
            to_attr="notices",
        ))
        .order_by("number")
    )
    for order in orders:
        order.delivered_notices = sorted(
            (m for m in order.notices if m.status == "delivered"),
            key=lambda m: (m.delivered_at, m.pk))
        order.warning_told = disposal_warning_told(order.notices)
    return issue_document(
        kind=DocumentKind.DISPOSAL_ACT,
        title=ngettext("Disposal act: %(count)s item, %(method)s",
                       "Disposal act: %(count)s items, %(method)s", len(orders))
        % {"count": len(orders), "method": act.get_method_display().lower()},
        context={"act": act, "orders": orders, "order": None},
        orders=orders, issued_by=issued_by, now=now,
    )


# The customer's copy of the intake order, with the pickup code, may be had as a PDF this long
# after the code was made (at intake or at a reprint); later, a reprint makes a new code.
CUSTOMER_COPY_FRESH = datetime.timedelta(minutes=30)


class CopyNotAvailable(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@in_customers_language
def customer_copy_pdf(*, order: Order, pickup_code: str, context: dict,
                      now: datetime.datetime | None = None) -> bytes:
    """The customer's copy of the intake order, with its pickup code, as a PDF made now and
    never stored: the code is a password, and a stored file holding it would undo its digest.
    Only while the code is fresh: it must be the order's current code, made in the last
    CUSTOMER_COPY_FRESH. `context` is what the printed page shows (the link, its QR code)."""
    now = now or timezone.now()
    if order.status in CLOSED_STATES:
        raise CopyNotAvailable(_("This order is closed; its customer's copy cannot be made."))
    if not pickup_code_matches(pickup_code, order.pickup_code_digest):
        raise CopyNotAvailable(_(
            "That pickup code is no longer the order's: the customer's copy was reprinted since. "
            "Print the newest copy, or reprint it from the order page."))
    made = (order.events.filter(action__in=("take_in", "pickup_code_reissued"))
            .order_by("-at").values_list("at", flat=True).first())
    if made is None or now - made > CUSTOMER_COPY_FRESH:
        raise CopyNotAvailable(_(
            "The pickup code is only kept on screen for %(minutes)d minutes after it is made. "
            "Reprint the customer's copy from the order page to get a new one.")
            % {"minutes": CUSTOMER_COPY_FRESH.total_seconds() // 60})
    html = render_to_string("documents/intake_customer_copy.html", {
        **context, "order": order, "pickup_code": format_pickup_code(pickup_code),
        "pickup_barcode": barcode_svg(normalize_pickup_code(pickup_code)), "made_at": now,
    })
    return render_pdf(html)
