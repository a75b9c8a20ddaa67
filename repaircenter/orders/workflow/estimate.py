"""Diagnostics and the estimate: the technician takes the order, writes the findings, sends the
estimate (or a revision, or a supplement during the repair), or finds it not repairable."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role

from .. import documents as paperwork
from ..models import (
    Estimate,
    EstimateKind,
    EstimateStatus,
    EventChannel,
    Order,
    PendingSupplement,
    Status,
    UnrepairedReason,
)
from ..states import STATES
from ..transitions import TRANSITIONS
from .base import (
    DECISION_MONTHS,
    Actor,
    Conflict,
    NotAllowed,
    Refused,
    WrongState,
    actor_channel,
    change_state,
    check,
    write_event,
)

T, M = Role.TECHNICIAN, Role.MANAGER


@transaction.atomic
@transaction.atomic
def start_diagnosis(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    now = timezone.now()
    return change_state(
        "start_diagnosis", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, now=now,
        changes={"technician": actor.user, "diagnosis_started_at": now},
    )


def current_estimate(order: Order) -> Estimate | None:
    """The estimate awaiting the customer's decision now (sent, not replaced), if any."""
    return order.estimates.filter(status=EstimateStatus.SENT).order_by("-number").first()


@transaction.atomic
def send_estimate(
    *,
    order: Order,
    actor: Actor,
    estimate: Estimate,
    expected_version: int | None = None,
    note: str = "",
) -> Order:
    """Send a draft estimate to the customer; a six-month decision period starts now.

    From diagnostics it is the estimate; while a decision is awaited it is a revision that
    replaces the estimate sent before; during the repair it is a supplementary estimate for its
    own lines only.
    """
    if order.status == Status.REPAIRING:
        name, kind = "send_supplement", EstimateKind.SUPPLEMENT
    elif order.status == Status.AWAITING_DECISION:
        name, kind = "revise_estimate", None
    else:
        name, kind = "send_estimate", EstimateKind.MAIN
    check(TRANSITIONS[name], order, actor)
    if estimate.order_id != order.pk:
        raise Refused(_("This estimate belongs to another order."))
    if kind is not None and estimate.kind != kind:
        raise Refused(_("This draft is not the kind of estimate the order needs now."))
    replaced = current_estimate(order) if name == "revise_estimate" else None
    if replaced is not None and replaced.kind != estimate.kind:
        raise Refused(_("A revision must be of the same kind as the estimate it replaces."))

    now = timezone.now()
    decision_due = order.center.months_later(now, DECISION_MONTHS)
    # Compare-and-set on the estimate first: a draft is sent once. The UPDATE also waits for
    # an edit holding the draft, so the lines and details read below are the final ones; a
    # refusal below rolls the send back.
    if not Estimate.objects.filter(pk=estimate.pk, status=EstimateStatus.DRAFT).update(
        status=EstimateStatus.SENT, sent_at=now, sent_by=actor.user, decision_due=decision_due,
        replaces=replaced,
    ):
        raise Conflict(_("This estimate was already sent; open the order again."))
    sent = Estimate.objects.get(pk=estimate.pk)
    lines = list(sent.lines.all())
    if not lines:
        raise Refused(_("Add at least one line before sending the estimate."))
    if sent.repair_days is None:
        raise Refused(_("Give the expected repair time in working days."))
    if replaced is not None:
        Estimate.objects.filter(pk=replaced.pk).update(status=EstimateStatus.REPLACED)
    pending = order.pending_supplement
    if sent.kind == EstimateKind.SUPPLEMENT:  # a supplement, or its revision, says what it needs
        pending = (PendingSupplement.REQUIRED if sent.required_to_finish
                   else PendingSupplement.OPTIONAL)
    change_state(
        name, order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, now=now,
        evidence={"estimate": estimate.display_number,
                  "replaces": replaced.display_number if replaced else ""},
        changes={"estimate_sent_at": now, "decision_due": decision_due, "decided_at": None,
                 "pending_supplement": pending},
    )
    estimate.status, estimate.sent_at = EstimateStatus.SENT, now
    estimate.decision_due = decision_due
    paperwork.issue_estimate(estimate=sent, issued_by=actor.user, now=now)
    return order


@transaction.atomic
def repair_under_warranty(
    *,
    order: Order,
    actor: Actor,
    estimate: Estimate,
    expected_version: int | None = None,
    note: str = "",
) -> Order:
    """A warranty claim's covered lines are agreed without the customer's decision: the draft
    becomes the approved estimate, at no charge, and the repair starts. Charged lines in the
    draft are moved to a supplementary draft, sent to the customer as usual."""
    if order.warranty_of_id is None:
        raise Refused(_("Order %(number)s is not a warranty claim.")
                      % {"number": order.display_number})
    check(TRANSITIONS["repair_under_warranty"], order, actor)
    if estimate.order_id != order.pk:
        raise Refused(_("This estimate belongs to another order."))
    now = timezone.now()
    if not Estimate.objects.filter(pk=estimate.pk, status=EstimateStatus.DRAFT,
                                   kind=EstimateKind.MAIN).update(
        status=EstimateStatus.APPROVED, sent_at=now, sent_by=actor.user, decided_at=now,
    ):
        raise Conflict(_("This estimate was already sent; open the order again."))
    estimate = Estimate.objects.get(pk=estimate.pk)
    if estimate.repair_days is None:
        raise Refused(_("Give the expected repair time in working days."))
    lines = list(estimate.lines.all())
    covered = [line for line in lines if line.covers_id is not None]
    charged = [line for line in lines if line.covers_id is None]
    if not covered:
        raise Refused(_("No line is covered by the warranty: send the estimate to the customer "
                        "instead."))
    if any(line.unit_price for line in covered):
        raise Refused(_("A line repaired under warranty costs the customer nothing."))
    supplement = None
    if charged:
        supplement = Estimate.objects.create(
            order=order, number=estimate.number + 1, kind=EstimateKind.SUPPLEMENT,
            created_by=actor.user, repair_days=estimate.repair_days,
            recommendation=estimate.recommendation, internal_notes=estimate.internal_notes,
        )
        estimate.lines.model.objects.filter(pk__in=[line.pk for line in charged]).update(
            estimate=supplement)
    change_state(
        "repair_under_warranty", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, now=now,
        evidence={"estimate": estimate.display_number,
                  "claim_on": order.warranty_of.display_number,
                  "covered": [line.description for line in covered],
                  "supplement": supplement.display_number if supplement else ""},
        changes={"decided_at": now},
    )
    estimate.status = EstimateStatus.APPROVED
    paperwork.issue_estimate(estimate=estimate, issued_by=actor.user, now=now)
    return order


@transaction.atomic
def declare_not_repairable(
    *, order: Order, actor: Actor, note: str, expected_version: int | None = None
) -> Order:
    check(TRANSITIONS["declare_not_repairable"], order, actor)
    if not note.strip():
        raise Refused(_("Say why the equipment cannot or should not be repaired."))
    now = timezone.now()
    change_state(
        "declare_not_repairable", order=order, actor=actor, channel=actor_channel(actor),
        expected_version=expected_version, note=note, now=now,
        # The reason joins the findings written before; it does not replace them.
        changes={"unrepaired_reason": UnrepairedReason.NOT_REPAIRABLE, "ready_at": now,
                 "findings": "\n\n".join(part for part in (order.findings, note) if part)},
    )
    return order



@transaction.atomic
def record_findings(*, order: Order, actor: Actor, findings: str) -> Order:
    """The technician's findings during diagnostics (the state does not change)."""
    if not actor.roles & {T, M}:
        raise NotAllowed(_("Your role does not allow writing the findings."))
    if not STATES[order.status].bench:
        raise WrongState(_("Findings are written during diagnostics or the repair."))
    Order.objects.filter(pk=order.pk).update(findings=findings)
    write_event(
        order, action="findings_recorded", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status, note=findings,
    )
    order.findings = findings
    return order

