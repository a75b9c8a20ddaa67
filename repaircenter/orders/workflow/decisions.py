"""The customer's decision on the estimate awaiting it: approved or refused (on the order page,
or recorded by staff with the channel and its evidence), or lapsed when its period ends."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ..models import (
    ActorKind,
    Estimate,
    EstimateStatus,
    EventChannel,
    Order,
    PendingSupplement,
    Status,
    UnrepairedReason,
)
from ..transitions import LAPSES, TRANSITIONS
from . import parts
from .base import (
    STAFF_KINDS,
    Actor,
    DecisionPeriodOver,
    EstimateReplaced,
    MissingInput,
    Refused,
    WrongState,
    change_state,
    check,
    require_unchanged_state,
)
from .estimate import current_estimate

STAFF_DECISION_CHANNELS = (EventChannel.PHONE, EventChannel.EMAIL, EventChannel.IN_PERSON)


def decision_open(order: Order, now: datetime.datetime | None = None) -> bool:
    """The customer may still approve: the order awaits a decision whose period has not ended.
    The one rule for the workflow, the customer's page and the sweep (whose set-based form,
    `LAPSED_SQL`, a test holds to it)."""
    now = now or timezone.now()
    return order.status == Status.AWAITING_DECISION and (
        order.decision_due is None or order.decision_due > now
    )


# The orders whose decision period is over, as the sweep's SQL says it (with its state).
LAPSED_SQL = "{decision_due} <= %s"


def _decision_evidence(
    actor: Actor, channel: str, evidence: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The channel to record and the evidence it requires, or Refused saying what is missing.

    Telephone: what the customer said (and when they called). Email: the email's text. In
    person: the customer's signature, on the pad or on the printed decision slip. The order page:
    the browser's address and user agent, which the portal passes.
    """
    evidence = {
        key: value.strip() if isinstance(value, str) else value
        for key, value in (evidence or {}).items()
    }
    evidence = {key: value for key, value in evidence.items() if value not in (None, "", False)}
    if actor.kind == ActorKind.CUSTOMER:
        return EventChannel.ORDER_PAGE, evidence
    if actor.kind not in STAFF_KINDS or channel not in STAFF_DECISION_CHANNELS:
        raise Refused(_("Say how the customer gave the decision: telephone, email or in person."))
    if channel == EventChannel.PHONE and not evidence.get("said"):
        raise MissingInput(_("Write down what the customer said on the telephone."), "said")
    if channel == EventChannel.EMAIL and not evidence.get("email_text"):
        raise MissingInput(_("Paste the text of the customer's email."), "email_text")
    if channel == EventChannel.IN_PERSON and not (
        evidence.get("signature_file") or evidence.get("signed_slip")
    ):
        raise MissingInput(
            _("Have the customer sign on the pad, or sign the printed decision slip and tick "
              "that it is signed."), "signed_slip"
        )
    return channel, evidence


def _decide(
    order: Order,
    actor: Actor,
    *,
    approved: bool,
    channel: str,
    evidence: dict[str, Any] | None,
    note: str,
    expected_version: int | None,
    estimate_id: int | None,
    as_action: str | None,
) -> Order:
    """Record the customer's decision on the estimate they are waiting on now."""
    supplement = order.status == Status.AWAITING_DECISION and bool(order.pending_supplement)
    if approved:
        name = "approve_supplement" if supplement else "approve"
    elif not supplement:
        name = "refuse"
    elif order.pending_supplement == PendingSupplement.REQUIRED:
        name = "refuse_required_supplement"
    else:
        name = "refuse_supplement"
    check(TRANSITIONS[name], order, actor)
    if as_action is not None and as_action != name:
        asked = TRANSITIONS[as_action].label if as_action in TRANSITIONS else as_action
        raise WrongState(
            _("Order %(number)s is waiting for a decision on %(what)s: “%(awaited)s” applies, "
              "not “%(asked)s”. Look at the order again.")
            % {"number": order.display_number, "awaited": TRANSITIONS[name].label,
               "asked": asked,
               "what": _("its supplementary estimate") if supplement else _("its estimate")}
        )
    channel, evidence = _decision_evidence(actor, channel, evidence or {})
    current = current_estimate(order)
    # The state is read after the estimate: a decision taken meanwhile changed both in one
    # commit, so its loser is told the order moved on, not that no estimate awaits.
    require_unchanged_state(TRANSITIONS[name], order)
    if not approved and actor.kind in STAFF_KINDS and not note.strip():
        raise MissingInput(_("Write the customer's reason for refusing."), "note")
    if estimate_id is not None and (current is None or current.pk != estimate_id):
        raise EstimateReplaced(
            _("That estimate is no longer the one awaiting a decision%(current)s. Show the "
              "customer the current estimate and record their decision on it.")
            % {"current": f" ({current.display_number})" if current else ""}
        )
    if approved and current is None:
        raise Refused(_("There is no estimate to approve."))
    now = timezone.now()
    # Past the deadline the repair counts as refused for lack of a decision, even before the
    # sweep records it; a refusal is still taken.
    if approved and not decision_open(order, now):
        raise DecisionPeriodOver(
            _("The decision period of order %(number)s ended on %(date)s; the repair can no "
              "longer be approved.")
            % {"number": order.display_number,
               "date": formats.date_format(timezone.localtime(order.decision_due), "DATE_FORMAT")}
        )
    changes: dict[str, Any] = {"decided_at": now, "pending_supplement": PendingSupplement.NONE}
    if TRANSITIONS[name].target == Status.READY_UNREPAIRED:
        changes.update(unrepaired_reason=UnrepairedReason.REFUSED, ready_at=now)
    if current is not None:
        evidence = {**evidence, "estimate": current.display_number}
        # Before the order's change, which announces it: what it causes sees the estimate
        # decided. A conflict below rolls this back too.
        Estimate.objects.filter(pk=current.pk, status=EstimateStatus.SENT).update(
            status=EstimateStatus.APPROVED if approved else EstimateStatus.REFUSED,
            decided_at=now,
        )
    order = change_state(
        name, order=order, actor=actor, channel=channel, expected_version=expected_version,
        note=note, evidence=evidence, now=now, changes=changes,
    )
    if approved:  # its parts reserved; missing ones: the order waits for them
        return parts.after_approval(order, current, actor)
    if order.status == Status.READY_UNREPAIRED:
        parts.release_parts(order, actor, _("Repair refused"))
    return order


@transaction.atomic
def approve(
    *,
    order: Order,
    actor: Actor,
    channel: str,
    evidence: dict[str, Any] | None = None,
    note: str = "",
    expected_version: int | None = None,
    estimate_id: int | None = None,
    as_action: str | None = None,
) -> Order:
    """The customer approves the estimate awaiting their decision: its lines become agreed
    works. `estimate_id`, when given, must name that estimate (a stale one is refused);
    `as_action`, when given, must name the decision the order awaits (from a page's button)."""
    return _decide(order, actor, approved=True, channel=channel, evidence=evidence, note=note,
                   expected_version=expected_version, estimate_id=estimate_id,
                   as_action=as_action)


@transaction.atomic
def refuse(
    *,
    order: Order,
    actor: Actor,
    channel: str,
    evidence: dict[str, Any] | None = None,
    note: str = "",
    expected_version: int | None = None,
    estimate_id: int | None = None,
    as_action: str | None = None,
) -> Order:
    """The customer refuses: any time before the repair starts, the equipment goes back
    unrepaired. Refusing a supplementary estimate continues the repair with the agreed lines,
    unless the technician marked that the repair cannot finish without it."""
    return _decide(order, actor, approved=False, channel=channel, evidence=evidence, note=note,
                   expected_version=expected_version, estimate_id=estimate_id,
                   as_action=as_action)


@transaction.atomic
def lapse_decision(*, order: Order, now: datetime.datetime | None = None) -> Order:
    """The decision period ended with no decision: refused for lack of one (a supplementary
    estimate: the repair continues without it, or returns if it cannot finish)."""
    now = now or timezone.now()
    name = next(n for n in sorted(LAPSES) if order.pending_supplement in TRANSITIONS[n].pending)
    check(TRANSITIONS[name], order, Actor.system())
    if decision_open(order, now):
        raise Refused(_("The decision period of this order has not ended."))
    changes: dict[str, Any] = {"pending_supplement": PendingSupplement.NONE}
    if TRANSITIONS[name].target == Status.READY_UNREPAIRED:
        changes.update(unrepaired_reason=UnrepairedReason.DECISION_LAPSED, ready_at=now)
    order.estimates.filter(status=EstimateStatus.SENT).update(status=EstimateStatus.LAPSED)
    order = change_state(
        name, order=order, actor=Actor.system(), channel=EventChannel.SYSTEM,
        expected_version=None, now=now, changes=changes,
    )
    if order.status == Status.READY_UNREPAIRED:
        parts.release_parts(order, Actor.system(), _("No decision in time"))
    return order

