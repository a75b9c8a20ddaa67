"""Every change of an order's state, and nothing else changes it.

Each transition function checks the actor's role and the order's state against TRANSITIONS,
changes the order with a compare-and-set UPDATE on (pk, version, status), and writes the
OrderEvent, in one transaction. An UPDATE that matches no row means someone else changed the
order first: the caller gets `Conflict` and nothing is written.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.expressions import RawSQL
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import STAFF_ROLES, Role
from repaircenter.billing.dues import stored_balance_due
from repaircenter.core import bulk
from repaircenter.core.calendar import center_date, months_later, working_days_after
from repaircenter.core.models import CenterSettings
from repaircenter.customers.services import save_customer_for_intake
from repaircenter.documents import services as documents
from repaircenter.documents.numbering import next_number
from repaircenter.notifications.outbox import queue_customer_message, queue_pending_messages
from repaircenter.webhooks import outbox as webhooks

from .credentials import (
    new_pickup_code,
    new_portal_token,
    pickup_code_digest,
    pickup_code_matches,
)
from .models import (
    READY_STATES,
    STORAGE_LOCATION_MAX,
    ActorKind,
    DisposalAct,
    DisposalMethod,
    Equipment,
    EquipmentKind,
    EquipmentPhoto,
    Estimate,
    EstimateKind,
    EstimateLine,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    PendingSupplement,
    Status,
    StressTest,
    TestProcedure,
    UnrepairedReason,
    format_order_number,
)

ZERO = Decimal("0.00")
DECISION_MONTHS = 6
STORAGE_MONTHS = 6

# Pseudo-roles: who acts besides staff.
CUSTOMER = "customer"  # through the order page link
SYSTEM = "system"  # the worker's sweeps

R, T, M = Role.RECEPTIONIST, Role.TECHNICIAN, Role.MANAGER


# --- who acts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    kind: str
    user: User | None = None
    # An integration's roles: those its API token was given (ActorKind.API only).
    token_roles: frozenset[str] = frozenset()

    @classmethod
    def staff(cls, user: User) -> Actor:
        return cls(ActorKind.STAFF, user)

    @classmethod
    def api(cls, token) -> Actor:
        """Another system calling the HTTP API with `token` (api.models.ApiToken): it acts as
        the token's own account, with the roles given to the token, checked as for staff."""
        return cls(ActorKind.API, token.user, frozenset(token.roles) & STAFF_ROLES)

    @classmethod
    def customer(cls) -> Actor:
        return cls(ActorKind.CUSTOMER)

    @classmethod
    def system(cls) -> Actor:
        return cls(ActorKind.SYSTEM)

    @property
    def roles(self) -> frozenset[str]:
        if self.kind == ActorKind.STAFF:
            return self.user.roles if self.user else frozenset()
        if self.kind == ActorKind.API:
            return self.token_roles
        return frozenset({CUSTOMER if self.kind == ActorKind.CUSTOMER else SYSTEM})


# --- errors a caller shows the user -----------------------------------------------------------


class WorkflowError(Exception):
    """A change that was refused; the message says why, in words for the person who asked."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(WorkflowError):
    """The actor's roles do not include one that may make this change."""


class WrongState(WorkflowError):
    """The order is not in a state this change starts from."""


class Conflict(WorkflowError):
    """Someone else changed the order since the caller looked at it."""


class Refused(WorkflowError):
    """A rule of the change is not met (a wrong pickup code, a deadline not yet passed…)."""


class EstimateReplaced(Refused):
    """The decision names an estimate that is no longer the one awaiting a decision."""


class DecisionPeriodOver(Refused):
    """An approval came after the decision period ended."""


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    # Staff pages show a button for it; the system's own transitions have none.
    manual: bool = True
    needs: tuple[str, ...] = field(default=())
    # Which decision the order must be waiting for (Order.pending_supplement); None: any.
    pending: frozenset[str] | None = None


def _t(name, label, sources, target, roles, pending=None, **kwargs) -> Transition:
    return Transition(
        name, label, frozenset(sources), target, frozenset(roles),
        pending=None if pending is None else frozenset(pending), **kwargs,
    )


S = Status
P = PendingSupplement
BEFORE_REPAIR = (S.RECEIVED, S.DIAGNOSING, S.AWAITING_DECISION, S.APPROVED)
AD = [S.AWAITING_DECISION]
MAIN = [P.NONE]
SUPPLEMENT = [P.OPTIONAL, P.REQUIRED]

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("start_diagnosis", gettext_lazy("Take for diagnostics"), [S.RECEIVED], S.DIAGNOSING,
           [T, M]),
        _t("send_estimate", gettext_lazy("Send the estimate"), [S.DIAGNOSING],
           S.AWAITING_DECISION, [T, M], needs=("estimate",)),
        _t("revise_estimate", gettext_lazy("Send a revised estimate"), AD, S.AWAITING_DECISION,
           [T, M], needs=("estimate",)),
        _t("send_supplement", gettext_lazy("Send a supplementary estimate"), [S.REPAIRING],
           S.AWAITING_DECISION, [T, M], needs=("estimate",)),
        _t("declare_not_repairable", gettext_lazy("Not repairable"), [S.DIAGNOSING],
           S.READY_UNREPAIRED, [T, M], needs=("note",)),
        _t("approve", gettext_lazy("Record approval"), AD, S.APPROVED,
           [R, M, CUSTOMER], MAIN, needs=("channel",)),
        _t("refuse", gettext_lazy("Record refusal"), BEFORE_REPAIR, S.READY_UNREPAIRED,
           [R, M, CUSTOMER], MAIN, needs=("channel", "note")),
        _t("approve_supplement", gettext_lazy("Record approval of the supplement"), AD,
           S.REPAIRING, [R, M, CUSTOMER], SUPPLEMENT, needs=("channel",)),
        _t("refuse_supplement", gettext_lazy("Record refusal of the supplement"), AD,
           S.REPAIRING, [R, M, CUSTOMER], [P.OPTIONAL], needs=("channel", "note")),
        _t("refuse_required_supplement",
           gettext_lazy("Record refusal of the supplement (repair cannot finish)"), AD,
           S.READY_UNREPAIRED, [R, M, CUSTOMER], [P.REQUIRED], needs=("channel", "note")),
        _t("lapse_decision", gettext_lazy("Decision period ended"), AD,
           S.READY_UNREPAIRED, [SYSTEM], MAIN, manual=False),
        _t("lapse_supplement", gettext_lazy("Decision period on the supplement ended"), AD,
           S.REPAIRING, [SYSTEM], [P.OPTIONAL], manual=False),
        _t("lapse_required_supplement",
           gettext_lazy("Decision period on the supplement ended (repair cannot finish)"), AD,
           S.READY_UNREPAIRED, [SYSTEM], [P.REQUIRED], manual=False),
        _t("start_repair", gettext_lazy("Start the repair"), [S.APPROVED], S.REPAIRING, [T, M]),
        _t("finish_works", gettext_lazy("Works done, to stress test"), [S.REPAIRING], S.TESTING,
           [T, M]),
        _t("pass_test", gettext_lazy("Stress test passed"), [S.TESTING], S.READY_REPAIRED,
           [T, M], needs=("test", "note")),
        _t("fail_test", gettext_lazy("Stress test failed"), [S.TESTING], S.REPAIRING, [T, M],
           needs=("test", "note")),
        _t("mark_disposal_due", gettext_lazy("Storage period ended"), READY_STATES,
           S.DISPOSAL_DUE, [SYSTEM], manual=False),
        _t("issue", gettext_lazy("Issue to the customer"), [*READY_STATES, S.DISPOSAL_DUE],
           S.ISSUED, [R, M], needs=("pickup_code",)),
        _t("confirm_disposal", gettext_lazy("Confirm disposal"), [S.DISPOSAL_DUE], S.DISPOSED,
           [M], needs=("method", "note")),
    ]
}

STAFF_DECISION_CHANNELS = (EventChannel.PHONE, EventChannel.EMAIL, EventChannel.IN_PERSON)


def _applies(transition: Transition, order: Order) -> bool:
    """The order is in a source state, waiting for the kind of decision the transition takes."""
    return order.status in transition.sources and (
        transition.pending is None
        or order.status != Status.AWAITING_DECISION
        or order.pending_supplement in transition.pending
    )


def is_allowed(name: str, order: Order, actor: Actor) -> bool:
    transition = TRANSITIONS[name]
    return _applies(transition, order) and bool(actor.roles & transition.roles)


def allowed_transitions(order: Order, actor: Actor) -> list[Transition]:
    """The changes this actor may make to this order now, in the table's order."""
    return [t for t in TRANSITIONS.values() if t.manual and is_allowed(t.name, order, actor)]


# --- the one place an order's state changes ---------------------------------------------------


def _check(transition: Transition, order: Order, actor: Actor) -> None:
    if not actor.roles & transition.roles:
        raise NotAllowed(
            _("Your role does not allow this: %(action)s.") % {"action": transition.label}
        )
    if order.status in transition.sources and not _applies(transition, order):
        raise WrongState(
            _("Order %(number)s is waiting for a decision on %(what)s; “%(action)s” does not "
              "apply.")
            % {
                "number": order.display_number,
                "what": _("its supplementary estimate") if order.pending_supplement
                else _("its estimate"),
                "action": transition.label,
            }
        )
    if order.status not in transition.sources:
        raise WrongState(
            _("Order %(number)s is %(status)s; “%(action)s” is not possible now.")
            % {
                "number": order.display_number,
                "status": order.get_status_display().lower(),
                "action": transition.label,
            }
        )


def _event(
    order: Order,
    *,
    action: str,
    actor: Actor,
    channel: str,
    at: datetime.datetime,
    from_status: str,
    to_status: str,
    note: str = "",
    evidence: dict[str, Any] | None = None,
) -> OrderEvent:
    event = OrderEvent.objects.create(
        order=order,
        at=at,
        actor_kind=actor.kind,
        actor=actor.user,
        channel=channel,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        evidence=evidence or {},
    )
    webhooks.queue_for_event(event)  # in this transaction, to the endpoints subscribed
    return event


def record_event(
    order: Order,
    *,
    action: str,
    actor: Actor,
    channel: str,
    at: datetime.datetime | None = None,
    note: str = "",
    evidence: dict[str, Any] | None = None,
) -> OrderEvent:
    """An event that keeps the order's state (a payment, a line done…), for the services beside
    the workflow. Call inside the transaction of the change it records."""
    return _event(
        order, action=action, actor=actor, channel=channel, at=at or timezone.now(),
        from_status=order.status, to_status=order.status, note=note, evidence=evidence,
    )


def _transition(
    name: str,
    *,
    order: Order,
    actor: Actor,
    channel: str,
    expected_version: int | None,
    note: str = "",
    evidence: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> Order:
    """Move `order` along transition `name`: guard, compare-and-set, event. Call inside atomic."""
    transition = TRANSITIONS[name]
    _check(transition, order, actor)
    now = now or timezone.now()
    changes = changes or {}
    version = order.version if expected_version is None else expected_version
    matching = Order.objects.filter(pk=order.pk, version=version, status__in=transition.sources)
    updated = matching.update(status=transition.target, version=F("version") + 1, **changes)
    if not updated:
        current = Order.objects.get(pk=order.pk)
        if current.status not in transition.sources:
            raise WrongState(
                _("Order %(number)s is now %(status)s; “%(action)s” is not possible.")
                % {
                    "number": current.display_number,
                    "status": current.get_status_display().lower(),
                    "action": transition.label,
                }
            )
        raise Conflict(
            _("Order %(number)s was changed by someone else a moment ago. "
              "Nothing was saved: look at it again and repeat if still needed.")
            % {"number": current.display_number}
        )
    from_status = order.status
    _event(
        order,
        action=name,
        actor=actor,
        channel=channel,
        at=now,
        from_status=from_status,
        to_status=transition.target,
        note=note,
        evidence=evidence,
    )
    order.status = transition.target
    order.version = version + 1
    for key, value in changes.items():
        setattr(order, key, value)
    return order


def _require_unchanged_state(transition: Transition, order: Order) -> None:
    """WrongState if the order's stored state has moved out of the transition's sources since
    the caller read it; for checks that read other rows before the compare-and-set."""
    stored = Order.objects.filter(pk=order.pk).values_list("status", flat=True).first()
    if stored not in transition.sources:
        raise WrongState(
            _("Order %(number)s is now %(status)s; “%(action)s” is not possible.")
            % {"number": order.display_number, "status": Status(stored).label.lower(),
               "action": transition.label}
        )


# Who acts as staff does: a member of staff, or another system through the API.
STAFF_KINDS = (ActorKind.STAFF, ActorKind.API)


def actor_channel(actor: Actor) -> str:
    """The channel of a change made on the staff pages, through the API, or by the system."""
    if actor.kind == ActorKind.SYSTEM:
        return EventChannel.SYSTEM
    return EventChannel.API if actor.kind == ActorKind.API else EventChannel.STAFF


_staff_channel = actor_channel


# --- intake -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EquipmentDetails:
    kind_id: int
    brand: str
    model: str
    serial_number: str
    imei: str
    condition: str
    accessories: str
    fault: str


@dataclass(frozen=True)
class CustomerDetails:
    """The customer as the intake form gives them; the phone is already E.164."""

    phone: str
    name: str
    email: str = ""
    preferred_channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    pickup_code: str
    # True when this submission repeated one already saved (a double click, a reload).
    repeated: bool


INTAKE_ROLES = frozenset({R, M})


def take_in(
    *,
    actor: Actor,
    customer: CustomerDetails,
    equipment: EquipmentDetails,
    photos: Iterable[ContentFile] = (),
    intake_key: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
) -> IntakeResult:
    """Create the order in `received`, with its equipment, photos, link and pickup code, and
    the customer found by phone (or created), all in one transaction.

    The same `intake_key` twice (a double-clicked submit) makes one order: the repeat gets the
    order already made, with a new pickup code that replaces the first (only the page the
    browser shows last is printed).
    """
    if not actor.roles & INTAKE_ROLES:
        raise NotAllowed(_("Your role does not allow taking in equipment."))
    now = now or timezone.now()
    if intake_key is not None:
        existing = Order.objects.filter(intake_key=intake_key).first()
        if existing is not None:
            return _repeated_intake(existing, actor)
    code = new_pickup_code()
    try:
        with transaction.atomic():
            center = CenterSettings.load()
            kind = EquipmentKind.objects.get(pk=equipment.kind_id)
            order = Order.objects.create(
                number=next_number("order"),
                customer=save_customer_for_intake(
                    phone=customer.phone,
                    name=customer.name,
                    email=customer.email,
                    preferred_channels=list(customer.preferred_channels),
                ),
                status=Status.RECEIVED,
                received_at=now,
                received_by=actor.user,
                diagnosis_due=working_days_after(center_date(now), center.diagnostics_target_days),
                diagnostics_fee=kind.diagnostics_fee if center.charge_diagnostics else ZERO,
                portal_token=new_portal_token(),
                pickup_code_digest=pickup_code_digest(code),
                intake_key=intake_key,
            )
            Equipment.objects.create(
                order=order,
                kind_id=equipment.kind_id,
                brand=equipment.brand,
                model=equipment.model,
                serial_number=equipment.serial_number,
                imei=equipment.imei,
                condition=equipment.condition,
                accessories=equipment.accessories,
                fault=equipment.fault,
            )
            for photo in photos:
                EquipmentPhoto.objects.create(order=order, image=photo)
            _event(
                order,
                action="take_in",
                actor=actor,
                channel=actor_channel(actor),
                at=now,
                from_status="",
                to_status=Status.RECEIVED,
            )
            queue_customer_message(order=order, event="order_received")
            documents.issue_intake_order(order=order, issued_by=actor.user, now=now)
    except IntegrityError:
        # Two submissions with one key raced; the other one made the order.
        if intake_key is None:
            raise
        return _repeated_intake(Order.objects.get(intake_key=intake_key), actor)
    return IntakeResult(order, code, False)


def _repeated_intake(order: Order, actor: Actor) -> IntakeResult:
    if order.status in CLOSED_STATES:
        raise WrongState(
            _("This intake form was already saved as order %(number)s, which is now closed. "
              "Start a new intake for new equipment.") % {"number": order.display_number}
        )
    return IntakeResult(order, reissue_pickup_code(order=order, actor=actor), True)


# --- the transitions --------------------------------------------------------------------------


@transaction.atomic
def start_diagnosis(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    now = timezone.now()
    return _transition(
        "start_diagnosis", order=order, actor=actor, channel=_staff_channel(actor),
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
    _check(TRANSITIONS[name], order, actor)
    if estimate.order_id != order.pk:
        raise Refused(_("This estimate belongs to another order."))
    if kind is not None and estimate.kind != kind:
        raise Refused(_("This draft is not the kind of estimate the order needs now."))
    replaced = current_estimate(order) if name == "revise_estimate" else None
    if replaced is not None and replaced.kind != estimate.kind:
        raise Refused(_("A revision must be of the same kind as the estimate it replaces."))

    now = timezone.now()
    decision_due = months_later(now, DECISION_MONTHS)
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
        pending = P.REQUIRED if sent.required_to_finish else P.OPTIONAL
    _transition(
        name, order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note, now=now,
        evidence={"estimate": estimate.display_number,
                  "replaces": replaced.display_number if replaced else ""},
        changes={"estimate_sent_at": now, "decision_due": decision_due, "decided_at": None,
                 "pending_supplement": pending},
    )
    estimate.status, estimate.sent_at = EstimateStatus.SENT, now
    estimate.decision_due = decision_due
    documents.issue_estimate(estimate=sent, issued_by=actor.user, now=now)
    queue_customer_message(
        order=order, event="estimate_ready", total=sum((line.total for line in lines), ZERO)
    )
    return order


@transaction.atomic
def declare_not_repairable(
    *, order: Order, actor: Actor, note: str, expected_version: int | None = None
) -> Order:
    _check(TRANSITIONS["declare_not_repairable"], order, actor)
    if not note.strip():
        raise Refused(_("Say why the equipment cannot or should not be repaired."))
    now = timezone.now()
    _transition(
        "declare_not_repairable", order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note, now=now,
        # The reason joins the findings written before; it does not replace them.
        changes={"unrepaired_reason": UnrepairedReason.NOT_REPAIRABLE, "ready_at": now,
                 "findings": "\n\n".join(part for part in (order.findings, note) if part)},
    )
    queue_customer_message(order=order, event="ready_unrepaired")
    return order


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
        raise Refused(_("Write down what the customer said on the telephone."))
    if channel == EventChannel.EMAIL and not evidence.get("email_text"):
        raise Refused(_("Paste the text of the customer's email."))
    if channel == EventChannel.IN_PERSON and not (
        evidence.get("signature_file") or evidence.get("signed_slip")
    ):
        raise Refused(
            _("Have the customer sign on the pad, or sign the printed decision slip and tick "
              "that it is signed.")
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
    elif order.pending_supplement == P.REQUIRED:
        name = "refuse_required_supplement"
    else:
        name = "refuse_supplement"
    _check(TRANSITIONS[name], order, actor)
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
    _require_unchanged_state(TRANSITIONS[name], order)
    if not approved and actor.kind in STAFF_KINDS and not note.strip():
        raise Refused(_("Write the customer's reason for refusing."))
    current = current_estimate(order)
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
    if approved and order.decision_due is not None and order.decision_due <= now:
        raise DecisionPeriodOver(
            _("The decision period of order %(number)s ended on %(date)s; the repair can no "
              "longer be approved.")
            % {"number": order.display_number,
               "date": formats.date_format(timezone.localtime(order.decision_due), "j F Y")}
        )
    changes: dict[str, Any] = {"decided_at": now, "pending_supplement": P.NONE}
    if TRANSITIONS[name].target == Status.READY_UNREPAIRED:
        changes.update(unrepaired_reason=UnrepairedReason.REFUSED, ready_at=now)
    if current is not None:
        evidence = {**evidence, "estimate": current.display_number}
    _transition(
        name, order=order, actor=actor, channel=channel, expected_version=expected_version,
        note=note, evidence=evidence, now=now, changes=changes,
    )
    if current is not None:
        Estimate.objects.filter(pk=current.pk, status=EstimateStatus.SENT).update(
            status=EstimateStatus.APPROVED if approved else EstimateStatus.REFUSED,
            decided_at=now,
        )
    if order.status == Status.READY_UNREPAIRED:
        queue_customer_message(order=order, event="ready_unrepaired")
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
    name = {P.NONE: "lapse_decision", P.OPTIONAL: "lapse_supplement",
            P.REQUIRED: "lapse_required_supplement"}[order.pending_supplement]
    _check(TRANSITIONS[name], order, Actor.system())
    if order.decision_due is None or order.decision_due > now:
        raise Refused(_("The decision period of this order has not ended."))
    changes: dict[str, Any] = {"pending_supplement": P.NONE}
    if TRANSITIONS[name].target == Status.READY_UNREPAIRED:
        changes.update(unrepaired_reason=UnrepairedReason.DECISION_LAPSED, ready_at=now)
    _transition(
        name, order=order, actor=Actor.system(), channel=EventChannel.SYSTEM,
        expected_version=None, now=now, changes=changes,
    )
    order.estimates.filter(status=EstimateStatus.SENT).update(status=EstimateStatus.LAPSED)
    if order.status == Status.READY_UNREPAIRED:
        queue_customer_message(order=order, event="ready_unrepaired")
    return order


@transaction.atomic
def record_findings(*, order: Order, actor: Actor, findings: str) -> Order:
    """The technician's findings during diagnostics (the state does not change)."""
    if not actor.roles & {T, M}:
        raise NotAllowed(_("Your role does not allow writing the findings."))
    if order.status not in (Status.DIAGNOSING, Status.REPAIRING):
        raise WrongState(_("Findings are written during diagnostics or the repair."))
    Order.objects.filter(pk=order.pk).update(findings=findings)
    _event(
        order, action="findings_recorded", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status, note=findings,
    )
    order.findings = findings
    return order


@transaction.atomic
def start_repair(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    return _transition(
        "start_repair", order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note,
    )


def _lock(order: Order) -> Order:
    """The order's row, held until the transaction ends (PostgreSQL; SQLite's writers already
    run one at a time), for a check of other rows that must still hold at the commit."""
    return Order.objects.select_for_update().get(pk=order.pk)


def lines_not_done(order: Order) -> list[EstimateLine]:
    """The agreed lines (of approved estimates) nobody has marked done, as stored now."""
    return list(
        EstimateLine.objects.filter(
            estimate__order=order, estimate__status=EstimateStatus.APPROVED, done__isnull=True
        ).select_related("estimate").order_by("estimate__number", "position", "pk")
    )


@transaction.atomic
def finish_works(
    *, order: Order, actor: Actor, expected_version: int | None = None, note: str = ""
) -> Order:
    """The works are done: to the stress test. Every agreed line must be marked done."""
    _check(TRANSITIONS["finish_works"], order, actor)
    _lock(order)
    _require_unchanged_state(TRANSITIONS["finish_works"], order)
    missing = lines_not_done(order)
    if missing:
        raise Refused(
            _("Not every agreed line is done. Still to do: %(lines)s.")
            % {"lines": "; ".join(f"“{line.description}”" for line in missing)}
        )
    return _transition(
        "finish_works", order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note,
    )


@dataclass(frozen=True)
class TestRun:
    """What the technician records of one stress test run, besides its result."""

    procedure: str
    duration_minutes: int | None = None
    measurements: str = ""
    name: str = ""
    template_id: int | None = None


@transaction.atomic
def record_test(
    *,
    order: Order,
    actor: Actor,
    passed: bool,
    note: str,
    run: TestRun | None = None,
    expected_version: int | None = None,
) -> Order:
    """The stress test's result: passed makes the order ready (and tells the customer), failed
    sends it back to repair with the failure on record. Either way the run is kept."""
    name = "pass_test" if passed else "fail_test"
    _check(TRANSITIONS[name], order, actor)
    if not note.strip():
        raise Refused(
            _("Describe the outcome: what was measured and how the equipment behaved.")
            if passed else _("Describe the failure: what went wrong and when.")
        )
    run = run or TestRun(procedure=note)
    if not run.procedure.strip():
        raise Refused(_("Describe the test procedure, or choose one from the list."))
    if run.duration_minutes is not None and not 1 <= run.duration_minutes <= 10080:
        raise Refused(_("The duration is in minutes, from 1 to 10080 (a week)."))
    template = None
    if run.template_id is not None:
        template = TestProcedure.objects.filter(pk=run.template_id).first()
        if template is None:
            raise Refused(_("That test procedure no longer exists; choose another."))
    now = timezone.now()
    _transition(
        name, order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note, now=now,
        changes={"ready_at": now} if passed else None,
    )
    StressTest.objects.create(
        order=order, procedure_template=template,
        name=run.name.strip() or (template.name if template else ""),
        procedure=run.procedure.strip(), duration_minutes=run.duration_minutes,
        # The outcome joins what was measured, unless it is the procedure itself (a caller
        # that gave only a note).
        measurements="\n\n".join(
            p for p in (run.measurements.strip(), note.strip())
            if p and p != run.procedure.strip()
        ),
        passed=passed, run_by=actor.user, recorded_at=now,
    )
    if passed:
        queue_customer_message(order=order, event="ready_repaired")
    return order


@transaction.atomic
def mark_disposal_due(*, order: Order, now: datetime.datetime | None = None) -> Order:
    now = now or timezone.now()
    _check(TRANSITIONS["mark_disposal_due"], order, Actor.system())
    _require_storage_over(order, now)
    _transition(
        "mark_disposal_due", order=order, actor=Actor.system(), channel=EventChannel.SYSTEM,
        expected_version=None, now=now,
    )
    queue_customer_message(order=order, event="disposal_warning")
    return order


PICKUP_CODE_MAX_FAILURES = 5


@dataclass(frozen=True)
class LostOriginal:
    """The customer lost the paper original: the identity document a manager saw instead, and
    the customer's statement."""

    document_type: str
    document_number: str
    statement: str


class _WrongPickupCode(Exception):
    pass


def issue(
    *,
    order: Order,
    actor: Actor,
    pickup_code: str = "",
    lost_original: LostOriginal | None = None,
    expected_version: int | None = None,
    note: str = "",
) -> Order:
    """Hand the equipment over: only when ready (or due for disposal), only with nothing left
    to pay, and only on the pickup code from the paper original or, when the original is lost,
    by a manager who records the identity document shown and the customer's statement.

    A wrong code is refused and counted (the count survives the refusal); at five, issuance of
    the order locks until a manager unlocks it. On success the completion certificate, and for
    a repaired order the warranty card, are issued.
    """
    try:
        with transaction.atomic():
            return _issue(order, actor, pickup_code, lost_original, expected_version, note)
    except _WrongPickupCode:
        left = _count_wrong_code(order, actor)
    if left:
        raise Refused(
            ngettext(
                "This pickup code does not match the order's paper original. %(left)d more "
                "wrong code locks issuance of this order.",
                "This pickup code does not match the order's paper original. %(left)d more "
                "wrong codes lock issuance of this order.",
                left,
            ) % {"left": left}
        )
    raise Refused(
        _("This pickup code does not match either. Issuance of order %(number)s is now locked: "
          "a manager must check the customer's identity and unlock it.")
        % {"number": order.display_number}
    )


def _issue(order, actor, pickup_code, lost_original, expected_version, note) -> Order:
    transition = TRANSITIONS["issue"]
    _check(transition, order, actor)
    locked = _lock(order)
    _require_unchanged_state(transition, order)
    if locked.pickup_failures >= PICKUP_CODE_MAX_FAILURES:
        raise Refused(
            _("Issuance of order %(number)s is locked after %(count)d wrong pickup codes. A "
              "manager must unlock it.")
            % {"number": order.display_number, "count": locked.pickup_failures}
        )
    balance = stored_balance_due(locked)
    if balance > 0:
        raise Refused(
            _("Order %(number)s is not fully paid: %(balance)s is still due. Take the payment "
              "first.") % {"number": order.display_number, "balance": _money(balance)}
        )
    if balance < 0:
        raise Refused(
            _("The customer paid %(over)s more than order %(number)s costs. Refund it first.")
            % {"number": order.display_number, "over": _money(-balance)}
        )
    evidence: dict[str, Any]
    if pickup_code.strip():
        if not pickup_code_matches(pickup_code, locked.pickup_code_digest):
            raise _WrongPickupCode
        evidence = {"original": "pickup code presented"}
    elif lost_original is not None:
        if Role.MANAGER not in actor.roles:
            raise NotAllowed(_("Only a manager may issue without the paper original."))
        fields = {
            "identity_document_type": lost_original.document_type.strip(),
            "identity_document_number": lost_original.document_number.strip(),
            "statement": lost_original.statement.strip(),
        }
        if not all(fields.values()):
            raise Refused(
                _("Without the original, record the identity document's type and number and "
                  "the customer's statement that the original is lost.")
            )
        evidence = {"original": "lost", **fields}
    else:
        raise Refused(_("Scan or type the pickup code from the customer's paper original."))
    now = timezone.now()
    _transition(
        "issue", order=order, actor=actor, channel=_staff_channel(actor),
        expected_version=expected_version, note=note, evidence=evidence, now=now,
        changes={"issued_at": now, "pickup_failures": 0},
    )
    documents.issue_handover_documents(order=order, issued_by=actor.user, now=now)
    return order


def _count_wrong_code(order: Order, actor: Actor) -> int:
    """Count one wrong code on its own transaction; returns how many tries are left."""
    with transaction.atomic():
        Order.objects.filter(pk=order.pk).update(pickup_failures=F("pickup_failures") + 1)
        failures = Order.objects.values_list("pickup_failures", flat=True).get(pk=order.pk)
        record_event(order, action="pickup_code_wrong", actor=actor,
                     channel=_staff_channel(actor),
                     note=_("Attempt %(count)d of %(limit)d.")
                     % {"count": failures, "limit": PICKUP_CODE_MAX_FAILURES})
        if failures == PICKUP_CODE_MAX_FAILURES:
            record_event(order, action="issuance_locked", actor=Actor.system(),
                         channel=EventChannel.SYSTEM)
    order.pickup_failures = failures
    return max(PICKUP_CODE_MAX_FAILURES - failures, 0)


@transaction.atomic
def unlock_issuance(*, order: Order, actor: Actor, note: str) -> Order:
    """A manager, having checked who is at the counter, lets issuance be tried again."""
    if Role.MANAGER not in actor.roles:
        raise NotAllowed(_("Only a manager may unlock issuance."))
    if not note.strip():
        raise Refused(_("Say why issuance is unlocked (whom you checked, and how)."))
    locked = _lock(order)
    if locked.pickup_failures < PICKUP_CODE_MAX_FAILURES:
        raise Refused(_("Issuance of this order is not locked."))
    Order.objects.filter(pk=order.pk).update(pickup_failures=0)
    record_event(order, action="issuance_unlocked", actor=actor, channel=EventChannel.STAFF,
                 note=note.strip())
    order.pickup_failures = 0
    return order


def issuance_locked(order: Order) -> bool:
    return order.pickup_failures >= PICKUP_CODE_MAX_FAILURES


def _money(amount: Decimal) -> str:
    from repaircenter.core.templatetags.money import money

    return money(amount)


@transaction.atomic
def confirm_disposal(
    *, order: Order, actor: Actor, method: str, note: str, expected_version: int | None = None
) -> Order:
    """The manager confirms the disposal of one order (the order page's button): a disposal act
    of its own, as `confirm_disposals` makes for a batch."""
    _check(TRANSITIONS["confirm_disposal"], order, actor)
    if expected_version is not None and expected_version != order.version:
        raise Conflict(
            _("Order %(number)s was changed by someone else a moment ago. "
              "Nothing was saved: look at it again and repeat if still needed.")
            % {"number": order.display_number}
        )
    if not note.strip():
        raise Refused(_("Say how the equipment is disposed of."))
    confirm_disposals(numbers=[order.number], actor=actor, method=method, note=note)
    order.refresh_from_db()
    return order


def _require_storage_over(order: Order, now: datetime.datetime) -> None:
    if order.storage_due is None or order.storage_due > now:
        raise Refused(_("The storage period of this order has not run out."))


# --- changes that keep the state --------------------------------------------------------------


@transaction.atomic
def start_storage_clock(
    *, order: Order, reached_at: datetime.datetime, channel: str, note: str = ""
) -> bool:
    """The first notification that reached the customer starts the six months of storage.

    Later ones change nothing. Returns whether this one started the clock.
    """
    storage_due = months_later(reached_at, STORAGE_MONTHS)
    started = Order.objects.filter(
        pk=order.pk, status__in=READY_STATES, customer_reached_at__isnull=True
    ).update(customer_reached_at=reached_at, storage_due=storage_due)
    if started:
        _event(
            order, action="storage_started", actor=Actor.system(), channel=channel,
            at=reached_at, from_status=order.status, to_status=order.status, note=note,
        )
        order.customer_reached_at, order.storage_due = reached_at, storage_due
    return bool(started)


LINK_ROLES = frozenset({R, M})
CLOSED_STATES = (Status.ISSUED, Status.DISPOSED)


@transaction.atomic
def replace_portal_link(*, order: Order, actor: Actor) -> str:
    """Revoke the customer's link and give the order a new one; the old one answers 404."""
    if not actor.roles & LINK_ROLES:
        raise NotAllowed(_("Your role does not allow replacing the customer's link."))
    token = new_portal_token()
    Order.objects.filter(pk=order.pk).update(portal_token=token)
    _event(
        order, action="link_replaced", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status,
    )
    order.portal_token = token
    return token


@transaction.atomic
def reissue_pickup_code(*, order: Order, actor: Actor) -> str:
    """A new pickup code for a reprinted customer's copy; the code on any earlier copy is void."""
    if not actor.roles & INTAKE_ROLES:
        raise NotAllowed(_("Your role does not allow printing the customer's copy."))
    if order.status in CLOSED_STATES:
        raise WrongState(_("This order is closed; its customer's copy cannot be reprinted."))
    code = new_pickup_code()
    # The version rises, so an issue started from a page loaded before the reprint, with the
    # old code, fails its compare-and-set instead of handing the equipment over.
    Order.objects.filter(pk=order.pk).update(
        pickup_code_digest=pickup_code_digest(code), version=F("version") + 1
    )
    _event(
        order, action="pickup_code_reissued", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status,
        note=_("Customer's copy reprinted; the earlier pickup code is void."),
    )
    order.pickup_code_digest = pickup_code_digest(code)
    order.version = Order.objects.values_list("version", flat=True).get(pk=order.pk)
    return code


@transaction.atomic
def set_storage_location(*, order: Order, actor: Actor, location: str) -> Order:
    """Where the equipment waits for collection: a shelf or bin code (the state does not
    change). Set when it goes to storage; changed when it moves."""
    if not actor.roles & STORAGE_ROLES:
        raise NotAllowed(_("Your role does not allow putting equipment in storage."))
    location = " ".join(location.split()).upper()
    if not location:
        raise Refused(_("Type the shelf or bin code, e.g. A3 or B-12."))
    if len(location) > STORAGE_LOCATION_MAX:
        raise Refused(
            _("A shelf or bin code has at most %(max)s characters.")
            % {"max": STORAGE_LOCATION_MAX}
        )
    if not Order.objects.filter(pk=order.pk, status__in=STORED_STATES).update(
        storage_location=location
    ):
        raise WrongState(
            _("Only equipment waiting for collection is put in storage; order %(number)s is "
              "not.") % {"number": order.display_number}
        )
    _event(
        order, action="storage_location_set", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status,
        note=_("Location: %(location)s") % {"location": location},
    )
    order.storage_location = location
    return order


STORAGE_ROLES = frozenset({R, T, M})
# The states in which the equipment waits on a shelf for the customer.
STORED_STATES = (*READY_STATES, Status.DISPOSAL_DUE)


# --- changes to many orders at once: the deadline sweep, a batch of disposals -----------------
#
# The sweep changes every order whose deadline passed in a fixed number of statements, however
# many there are: an UPDATE … RETURNING per source state, whose WHERE repeats the state and the
# deadline (compare-and-set: an order someone else changed first no longer matches, and of two
# sweeps at once only one changes it), then one INSERT … SELECT of the events and one of the
# messages for exactly the orders changed, all in the caller's transaction.


def _col(name: str) -> str:
    return bulk.column(Order, name)


def _transition_many(
    name: str,
    *,
    actor: Actor,
    channel: str,
    where: str,
    params: list,
    changes: dict[str, Any],
    now: datetime.datetime,
    note: str = "",
    evidence: dict[str, Any] | None = None,
) -> list[int]:
    """Move every order in a source state of `name` matching `where` (SQL over the order's
    columns) along the transition, and write an event for each. Returns their ids."""
    transition = TRANSITIONS[name]
    if not actor.roles & transition.roles:
        raise NotAllowed(
            _("Your role does not allow this: %(action)s.") % {"action": transition.label}
        )
    assignments = [f"{_col('status')} = %s", f"{_col('version')} = {_col('version')} + 1"]
    values = [transition.target]
    for field_name, value in changes.items():
        assignments.append(f"{_col(field_name)} = %s")
        values.append(bulk.db_value(Order, field_name, value))
    changed: list[int] = []
    for source in sorted(transition.sources):
        ids = bulk.fetch_ids(
            f"UPDATE {bulk.table(Order)} SET {', '.join(assignments)} "  # noqa: S608 — names
            f"WHERE {_col('status')} = %s AND ({where}) RETURNING {_col('id')}",  # from models
            [*values, source, *params],
        )
        _events_for(
            ids, action=name, actor=actor, channel=channel, at=now, from_status=source,
            to_status=transition.target, note=note, evidence=evidence,
        )
        changed += ids
    webhooks.queue_for_changed_orders(order_ids=changed, action=name, at=now)
    return changed


def _events_for(
    ids: list[int], *, action: str, actor: Actor, channel: str, at: datetime.datetime,
    from_status: str, to_status: str, note: str, evidence: dict[str, Any] | None,
) -> None:
    if not ids:
        return
    columns = ["order", "at", "actor_kind", "actor", "channel", "action", "from_status",
               "to_status", "note", "evidence"]
    id_sql, id_params = bulk.ids_sql(ids)
    placeholders = ["%s"] * 8 + [bulk.json_sql()]
    bulk.execute(
        f"INSERT INTO {bulk.table(OrderEvent)} "  # noqa: S608 — names from the models
        f"({', '.join(bulk.column(OrderEvent, c) for c in columns)}) "
        f"SELECT changed.id, {', '.join(placeholders)} FROM ({id_sql}) changed",
        [bulk.db_value(OrderEvent, "at", at), actor.kind, actor.user.pk if actor.user else None,
         channel, action, from_status, to_status, note, json.dumps(evidence or {}), *id_params],
    )


# The lapse of a decision period, by what the order waits for a decision on.
LAPSES = (
    ("lapse_decision", P.NONE),
    ("lapse_supplement", P.OPTIONAL),
    ("lapse_required_supplement", P.REQUIRED),
)


@transaction.atomic
def lapse_decisions(*, now: datetime.datetime | None = None) -> int:
    """Every decision period that ended with no decision, at once: `lapse_decision` for all of
    them. Returns how many orders changed."""
    now = now or timezone.now()
    total = 0
    for name, pending in LAPSES:
        target = TRANSITIONS[name].target
        changes: dict[str, Any] = {"pending_supplement": P.NONE}
        if target == Status.READY_UNREPAIRED:
            changes.update(unrepaired_reason=UnrepairedReason.DECISION_LAPSED, ready_at=now)
        ids = _transition_many(
            name, actor=Actor.system(), channel=EventChannel.SYSTEM, now=now, changes=changes,
            where=f"{_col('pending_supplement')} = %s AND {_col('decision_due')} <= %s",
            params=[pending, bulk.db_value(Order, "decision_due", now)],
        )
        if not ids:
            continue
        Estimate.objects.filter(
            # The ids as one bound parameter (bulk.ids_sql), not text from outside.
            status=EstimateStatus.SENT, order_id__in=RawSQL(*bulk.ids_sql(ids))  # noqa: S611
        ).update(status=EstimateStatus.LAPSED)
        if target == Status.READY_UNREPAIRED:
            queue_pending_messages(ids=ids, event="ready_unrepaired", now=now)
        total += len(ids)
    return total


@transaction.atomic
def mark_disposals_due(*, now: datetime.datetime | None = None) -> int:
    """Every order whose storage period ran out becomes due for disposal, and its customer is
    warned once. Nothing is disposed of: a manager confirms that. Returns how many changed."""
    now = now or timezone.now()
    ids = _transition_many(
        "mark_disposal_due", actor=Actor.system(), channel=EventChannel.SYSTEM, now=now,
        changes={}, where=f"{_col('storage_due')} <= %s",
        params=[bulk.db_value(Order, "storage_due", now)],
    )
    queue_pending_messages(ids=ids, event="disposal_warning", now=now)
    return len(ids)


def customer_reached():
    """The order's history shows a notice that reached the customer (the storage clock's
    start): without it nothing may be disposed of, whatever the dates say."""
    return Exists(OrderEvent.objects.filter(order=OuterRef("pk"), action="storage_started"))


def disposal_refusals(orders: Iterable[Order], now: datetime.datetime) -> dict[int, str]:
    """Why each of `orders` (annotated with `reached`) may not be disposed of now, by number."""
    reasons = {}
    for order in orders:
        if order.status != Status.DISPOSAL_DUE:
            reasons[order.number] = _("%(number)s is %(status)s, not due for disposal.") % {
                "number": order.display_number, "status": order.get_status_display().lower()}
        elif not order.reached or order.customer_reached_at is None:
            reasons[order.number] = _(
                "%(number)s: no notice ever reached the customer; it cannot be disposed of."
            ) % {"number": order.display_number}
        elif order.storage_due is None or order.storage_due > now:
            reasons[order.number] = _(
                "%(number)s: its storage period has not run out."
            ) % {"number": order.display_number}
    return reasons


@transaction.atomic
def confirm_disposals(
    *, numbers: Iterable[int], actor: Actor, method: str, note: str = "",
    now: datetime.datetime | None = None,
) -> DisposalAct:
    """The manager confirms the disposal of one or many orders: all of them or none. Each must
    be due for disposal, with its storage period over and a notice that reached the customer.
    Writes one disposal act naming exactly the orders disposed of."""
    transition = TRANSITIONS["confirm_disposal"]
    if not actor.roles & transition.roles:
        raise NotAllowed(
            _("Your role does not allow this: %(action)s.") % {"action": transition.label}
        )
    now = now or timezone.now()
    numbers = sorted(set(numbers))
    if not numbers:
        raise Refused(_("Tick the orders to dispose of."))
    orders = list(Order.objects.filter(number__in=numbers).annotate(reached=customer_reached()))
    missing = set(numbers) - {o.number for o in orders}
    if missing:
        raise Refused(_("There is no order %(numbers)s.") % {
            "numbers": ", ".join(format_order_number(n) for n in sorted(missing))})
    reasons = disposal_refusals(orders, now)
    if reasons:
        raise Refused(
            " ".join([_("Nothing was disposed of."), *reasons.values()])
        )
    if method not in DisposalMethod.values:
        raise Refused(_("Choose how the equipment is disposed of."))
    # The act is issued as a document (numbered, rendered, stored with its PDF) for exactly
    # these orders; if any of them changes before the UPDATE below, all of it rolls back.
    act = DisposalAct(method=method, note=note.strip(), confirmed_at=now,
                      confirmed_by=actor.user)
    act.document = documents.issue_disposal_act(
        act=act, order_ids=[o.pk for o in orders], issued_by=actor.user, now=now)
    act.number = act.document.number
    act.save()
    id_sql, id_params = bulk.ids_sql([o.pk for o in orders])
    reached = (f"EXISTS (SELECT 1 FROM {bulk.table(OrderEvent)} e "  # noqa: S608
               f"WHERE e.{bulk.column(OrderEvent, 'order')} = {bulk.table(Order)}.{_col('id')} "
               f"AND e.{bulk.column(OrderEvent, 'action')} = %s)")
    changed = _transition_many(
        "confirm_disposal", actor=actor, channel=EventChannel.STAFF, now=now,
        changes={"disposed_at": now, "disposal_act": act.pk},
        where=(f"{_col('id')} IN ({id_sql}) AND {_col('storage_due')} <= %s "
               f"AND {_col('customer_reached_at')} IS NOT NULL AND {reached}"),
        params=[*id_params, bulk.db_value(Order, "storage_due", now), "storage_started"],
        note=note.strip(),
        evidence={"act": act.display_number, "method": method},
    )
    if len(changed) != len(orders):
        # Someone issued one of them, or another manager disposed of it, a moment ago.
        raise Conflict(
            _("One of the orders was changed by someone else a moment ago. Nothing was disposed "
              "of: look at the list again.")
        )
    return act
