"""Writing an estimate: a draft the technician edits until the workflow sends it.

None of this changes the order's state. A draft is edited only while it is a draft: each edit
first touches the estimate row with `status=draft` in its filter, so an edit racing with
`workflow.send_estimate` either lands before the send or is refused after it.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import DecimalField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role
from repaircenter.stock.models import AVAILABLE, Part, StockLevel, part_matching

from .models import (
    MONEY,
    CenterPrice,
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    LineKind,
    Order,
    PriceListEntry,
    Status,
)
from .workflow import Actor, NotAllowed, Refused, WrongState, actor_channel

WRITERS = frozenset({Role.TECHNICIAN, Role.MANAGER})


def _require_writer(actor: Actor) -> None:
    if not actor.roles & WRITERS:
        raise NotAllowed(_("Only a technician or a manager writes estimates."))


def _hold_draft(estimate: Estimate) -> None:
    """Refuse unless the estimate is still a draft; hold it as a draft until the commit."""
    if not Estimate.objects.filter(pk=estimate.pk, status=EstimateStatus.DRAFT).update(
        status=EstimateStatus.DRAFT
    ):
        raise Refused(
            _("Estimate %(number)s has been sent and can no longer change. Write a new one "
              "to replace it.") % {"number": estimate.display_number}
        )


def draft_kind(order: Order) -> str:
    """The kind of estimate the order can take now, or WrongState."""
    if order.status == Status.REPAIRING or (
        order.status == Status.AWAITING_DECISION and order.pending_supplement
    ):
        return EstimateKind.SUPPLEMENT
    if order.status in (Status.DIAGNOSING, Status.AWAITING_DECISION):
        return EstimateKind.MAIN
    raise WrongState(
        _("Order %(number)s is %(status)s: no estimate can be written now.")
        % {"number": order.display_number, "status": order.get_status_display().lower()}
    )


def kind_needed(order: Order) -> str | None:
    """The kind of estimate the order can take now, or None."""
    try:
        return draft_kind(order)
    except WrongState:
        return None


def can_write_estimate(order: Order, actor: Actor) -> bool:
    return bool(actor.roles & WRITERS) and kind_needed(order) is not None


def open_draft(order: Order) -> Estimate | None:
    """The order's draft, if any (at most one: a database constraint)."""
    return order.estimates.filter(status=EstimateStatus.DRAFT).first()


@transaction.atomic
def start_draft(*, order: Order, actor: Actor) -> Estimate:
    """The order's draft estimate, made now if it has none (one draft at a time).

    A revision starts as a copy of the estimate it will replace, so that only the change has to
    be typed.
    """
    _require_writer(actor)
    kind = draft_kind(order)
    existing = open_draft(order)
    if existing is not None and existing.kind == kind:
        return existing
    if existing is not None:
        # A draft of the kind the order no longer takes (an estimate left unsent when the
        # customer decided on another) can never be sent: make way for the right kind.
        existing.delete()
    number = (order.estimates.aggregate(n=Max("number"))["n"] or 0) + 1
    previous = (
        order.estimates.filter(status=EstimateStatus.SENT, kind=kind).order_by("-number").first()
    )
    try:
        with transaction.atomic():
            draft = Estimate.objects.create(
                order=order, number=number, kind=kind, created_by=actor.user,
                repair_days=previous.repair_days if previous else None,
                recommendation=previous.recommendation if previous else "",
                internal_notes=previous.internal_notes if previous else "",
                required_to_finish=previous.required_to_finish if previous else False,
            )
    except IntegrityError:
        # Two technicians opened the editor at once: one draft per order, theirs.
        return open_draft(order)
    if previous is not None:
        EstimateLine.objects.bulk_create(
            EstimateLine(
                estimate=draft, position=line.position, line_kind=line.line_kind,
                description=line.description, quantity=line.quantity,
                unit_price=line.unit_price, price_list_entry_id=line.price_list_entry_id,
                warranty_months=line.warranty_months, covers_id=line.covers_id,
                part_id=line.part_id,
            )
            for line in previous.lines.all()
        )
    return draft


@transaction.atomic
def update_details(
    *,
    estimate: Estimate,
    actor: Actor,
    repair_days: int | None,
    recommendation: str,
    internal_notes: str,
    required_to_finish: bool = False,
) -> Estimate:
    _require_writer(actor)
    _hold_draft(estimate)
    if estimate.kind != EstimateKind.SUPPLEMENT:
        required_to_finish = False
    Estimate.objects.filter(pk=estimate.pk).update(
        repair_days=repair_days, recommendation=recommendation,
        internal_notes=internal_notes, required_to_finish=required_to_finish,
    )
    estimate.repair_days, estimate.recommendation = repair_days, recommendation
    estimate.internal_notes, estimate.required_to_finish = internal_notes, required_to_finish
    return estimate


def _whole_units_of_part(line: EstimateLine) -> None:
    """A catalogue part is counted in whole units."""
    if line.part_id and (line.quantity is None or line.quantity != int(line.quantity)
                         or line.quantity < 1):
        raise Refused(_("A part from the catalogue is counted in whole units (1, 2, 3…)."))


def parts_for(order: Order, text: str, *, limit: int = 20):
    """Catalogue parts matching `text` (code, name or the models they fit), each with its
    `on_hand` and `available` units at the order's center."""
    text = " ".join(text.split())[:100]
    here = StockLevel.objects.filter(part=OuterRef("pk"), center=order.center_id)
    found = Part.objects.filter(part_matching(text), active=True)
    return found.annotate(
        on_hand=Coalesce(Subquery(here.values("on_hand")[:1]), 0),
        available=Coalesce(Subquery(here.annotate(a=AVAILABLE).values("a")[:1]), 0),
    ).order_by("sku")[:limit]


def available_at(center_id: int, part_ids) -> dict[int, int]:
    """Units available (on hand less reserved) per part at the center."""
    return dict(StockLevel.objects.filter(center_id=center_id, part_id__in=list(part_ids))
                .annotate(a=AVAILABLE).values_list("part_id", "a"))


def add_part(*, estimate: Estimate, actor: Actor, part_id: int, quantity: Decimal = Decimal(1)
             ) -> EstimateLine:
    """A line for a catalogue part, at its selling price."""
    part = Part.objects.filter(pk=part_id, active=True).first()
    if part is None:
        raise Refused(_("That part is not in the catalogue."))
    return add_line(
        estimate=estimate, actor=actor, line_kind=LineKind.PART,
        description=f"{part.name} ({part.sku})"[:200], quantity=quantity,
        unit_price=part.selling_price, part=part,
    )


def _next_position(estimate: Estimate) -> int:
    return (estimate.lines.aggregate(p=Max("position"))["p"] or 0) + 1


@transaction.atomic
def add_line(
    *,
    estimate: Estimate,
    actor: Actor,
    line_kind: str,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    entry: PriceListEntry | None = None,
    warranty_months: int | None = None,
    part: Part | None = None,
) -> EstimateLine:
    """A line of the draft; its warranty is `warranty_months`, else the catalogue part's, else
    the price-list entry's, else (None) the kind of equipment's."""
    _require_writer(actor)
    _hold_draft(estimate)
    if warranty_months is None and part is not None:
        warranty_months = part.warranty_months
    if warranty_months is None and entry is not None:
        warranty_months = entry.warranty_months
    line = EstimateLine(
        estimate=estimate, position=_next_position(estimate), line_kind=line_kind,
        description=description, quantity=quantity, unit_price=unit_price,
        price_list_entry=entry, warranty_months=warranty_months, part=part,
    )
    _whole_units_of_part(line)
    line.full_clean()
    line.save()
    return line


def price_list_for(order: Order):
    """The price-list entries offered for this order's kind of equipment, and for every kind,
    each with its `price` at the order's center (the center's own, else the chain's)."""
    own = CenterPrice.objects.filter(entry=OuterRef("pk"), center=order.center_id)
    return PriceListEntry.objects.filter(
        Q(equipment_kind=order.equipment.kind_id) | Q(equipment_kind__isnull=True), active=True
    ).annotate(price=Coalesce(
        Subquery(own.values("unit_price")[:1]), "unit_price",
        # Money; SQLite hands back a float of the COALESCE, rounded to cents where it is used.
        output_field=DecimalField(**MONEY)))


def add_from_price_list(*, estimate: Estimate, actor: Actor, entry_id: int) -> EstimateLine:
    entry = price_list_for(estimate.order).filter(pk=entry_id).first()
    if entry is None:
        raise Refused(_("That price-list entry is not offered for this equipment."))
    return add_line(
        estimate=estimate, actor=actor, line_kind=entry.line_kind,
        description=entry.description, quantity=Decimal("1"),
        unit_price=entry.price.quantize(Decimal("0.01")),
        entry=entry,
    )


@transaction.atomic
def update_line(
    *, line: EstimateLine, actor: Actor, description: str, quantity: Decimal,
    unit_price: Decimal,
) -> EstimateLine:
    _require_writer(actor)
    _hold_draft(line.estimate)
    if line.covers_id is not None and unit_price:
        raise Refused(_("A line repaired under warranty costs the customer nothing."))
    line.description, line.quantity, line.unit_price = description, quantity, unit_price
    _whole_units_of_part(line)
    line.full_clean()
    line.save(update_fields=["description", "quantity", "unit_price"])
    return line


@transaction.atomic
def assess_warranty(*, estimate: Estimate, actor: Actor, covered: list[int],
                    not_covered: list[int], note: str = "") -> list[EstimateLine]:
    """On a warranty claim, the technician's verdict on each line of the claimed order still
    under warranty: a covered one joins the draft free of charge, marked as repaired under
    that line's warranty (its end date kept); a line not covered is only recorded, and what
    it needs is written as ordinary, charged lines. Returns the lines added."""
    from .warranty import coverable_lines
    from .workflow import record_event

    _require_writer(actor)
    _hold_draft(estimate)
    order = estimate.order
    if order.warranty_of_id is None:
        raise Refused(_("This order is not a warranty claim."))
    offered = {line.pk: line for line in coverable_lines(order)}
    chosen = [*covered, *not_covered]
    if not chosen:
        raise Refused(_("Mark each line of the earlier order as covered or not covered."))
    if len(set(chosen)) != len(chosen) or not set(chosen) <= set(offered):
        raise Refused(_("Only the earlier order's lines still under warranty can be covered, "
                        "each once."))
    already = set(estimate.lines.exclude(covers=None).values_list("covers_id", flat=True))
    if already & set(covered):
        raise Refused(_("That line is already covered in this estimate."))
    added = []
    for pk in covered:
        original = offered[pk]
        added.append(EstimateLine.objects.create(
            estimate=estimate, position=_next_position(estimate), line_kind=original.line_kind,
            description=original.description, quantity=original.quantity,
            unit_price=Decimal("0.00"), price_list_entry_id=original.price_list_entry_id,
            warranty_months=original.warranty_months, covers=original,
        ))
    record_event(
        order, action="warranty_assessed", actor=actor, channel=actor_channel(actor),
        note=note.strip(),
        evidence={"covered": [offered[pk].description for pk in covered],
                  "not_covered": [offered[pk].description for pk in not_covered],
                  "claim_on": order.warranty_of.display_number},
    )
    return added


@transaction.atomic
def remove_line(*, line: EstimateLine, actor: Actor) -> None:
    _require_writer(actor)
    _hold_draft(line.estimate)
    line.delete()


@transaction.atomic
def discard_draft(*, estimate: Estimate, actor: Actor) -> None:
    _require_writer(actor)
    _hold_draft(estimate)
    estimate.delete()
