"""The repair checklist: the agreed lines (of approved estimates), each marked done by the
technician who did it, with the serial numbers of the parts fitted.

Marking and undoing keep the order's state; each takes the order's row first, so that a mark
or an undo and `workflow.finish_works` (which checks every line under the same lock) never
interleave. Lines of estimates not approved cannot be marked: nothing beyond the agreed works
is done or charged.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role

from .models import (
    EstimateLine,
    EstimateStatus,
    LineDone,
    Order,
    PendingSupplement,
    Status,
)
from .workflow import Actor, NotAllowed, Refused, WrongState, actor_channel, record_event

REPAIRERS = frozenset({Role.TECHNICIAN, Role.MANAGER})


def checklist_open(order: Order) -> bool:
    """Lines can be marked (and unmarked) while the repair is under way, including while a
    supplementary estimate waits for the customer."""
    return order.status == Status.REPAIRING or (
        order.status == Status.AWAITING_DECISION
        and order.pending_supplement != PendingSupplement.NONE
    )


def can_mark_lines(order: Order, actor: Actor) -> bool:
    return bool(actor.roles & REPAIRERS) and checklist_open(order)


def _agreed_line(order: Order, actor: Actor, line_id: int) -> EstimateLine:
    if not actor.roles & REPAIRERS:
        raise NotAllowed(_("Only a technician or a manager marks the works done."))
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not checklist_open(locked):
        raise WrongState(
            _("Order %(number)s is %(status)s: the checklist can change only during the "
              "repair.") % {"number": locked.display_number,
                            "status": locked.get_status_display().lower()}
        )
    line = EstimateLine.objects.select_related("estimate").filter(
        pk=line_id, estimate__order=order
    ).first()
    if line is None:
        raise Refused(_("That line is not part of this order."))
    if line.estimate.status != EstimateStatus.APPROVED:
        raise Refused(
            _("“%(line)s” is not agreed with the customer (estimate %(estimate)s is %(status)s): "
              "it cannot be done or charged.")
            % {"line": line.description, "estimate": line.estimate.display_number,
               "status": line.estimate.get_status_display().lower()}
        )
    return line


@transaction.atomic
def mark_line_done(
    *, order: Order, actor: Actor, line_id: int, part_serials: str = "",
    now: datetime.datetime | None = None,
) -> LineDone:
    line = _agreed_line(order, actor, line_id)
    serials = " ".join(part_serials.split())
    if len(serials) > 300:
        raise Refused(_("The serial numbers are too long (300 characters at most)."))
    now = now or timezone.now()
    try:
        with transaction.atomic():
            done = LineDone.objects.create(line=line, done_by=actor.user, done_at=now,
                                           part_serials=serials)
    except IntegrityError:
        earlier = LineDone.objects.select_related("done_by").get(line=line)
        raise Refused(
            _("“%(line)s” was already marked done by %(who)s.")
            % {"line": line.description, "who": earlier.done_by}
        ) from None
    record_event(
        order, action="work_done", actor=actor, channel=actor_channel(actor), at=now,
        note=line.description,
        evidence={"line": line.pk, **({"part_serials": serials} if serials else {})},
    )
    return done


@transaction.atomic
def undo_line_done(*, order: Order, actor: Actor, line_id: int) -> None:
    line = _agreed_line(order, actor, line_id)
    deleted, _rows = LineDone.objects.filter(line=line).delete()
    if not deleted:
        raise Refused(_("“%(line)s” is not marked done.") % {"line": line.description})
    record_event(order, action="work_undone", actor=actor, channel=actor_channel(actor),
                 note=line.description, evidence={"line": line.pk})
