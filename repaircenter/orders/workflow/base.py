"""The one place an order's state changes: who acts, the errors a caller shows, the guard, the
compare-and-set and the event.

Each transition function (intake.py, estimate.py, decisions.py, repair.py, issuance.py,
storage.py, many.py) checks the actor's role and the order's state against the registry
(orders/transitions.py) with `check`, changes the order with `change_state`, a compare-and-set
UPDATE on (pk, version, status), and writes the OrderEvent, in one transaction. An UPDATE that
matches no row means someone else changed the order first: the caller gets `Conflict` and
nothing is written. Every event is announced (orders/events.py) to the apps that act on it.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import STAFF_ROLES

from ..events import announce
from ..models import ActorKind, EventChannel, Order, OrderEvent, Status
from ..states import STATES
from ..transitions import CUSTOMER, SYSTEM, TRANSITIONS, Transition

ZERO = Decimal("0.00")
DECISION_MONTHS = 6
STORAGE_MONTHS = 6


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


class MissingInput(Refused):
    """Something the person must give is missing (`field` names it: "said", "note"…)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


class EstimateReplaced(Refused):
    """The decision names an estimate that is no longer the one awaiting a decision."""


class DecisionPeriodOver(Refused):
    """An approval came after the decision period ended."""


def _applies(transition: Transition, order: Order) -> bool:
    """The order is in a source state, waiting for the kind of decision the transition takes."""
    if transition.claim_only and getattr(order, "warranty_of_id", None) is None:
        return False
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



def check(transition: Transition, order: Order, actor: Actor) -> None:
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


def write_event(
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
    announce(event)  # in this transaction: the messages and webhooks it causes
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
    return write_event(
        order, action=action, actor=actor, channel=channel, at=at or timezone.now(),
        from_status=order.status, to_status=order.status, note=note, evidence=evidence,
    )


def change_state(
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
    check(transition, order, actor)
    now = now or timezone.now()
    changes = {**(changes or {}), **_due_at(transition.target, order, changes or {}, now)}
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
    # The order as stored now, before the event is announced: a message written from it (the
    # decision's deadline, the storage period…) says what the database says.
    order.status = transition.target
    order.version = version + 1
    for key, value in changes.items():
        setattr(order, key, value)
    write_event(
        order, action=name, actor=actor, channel=channel, at=now, from_status=from_status,
        to_status=transition.target, note=note, evidence=evidence,
    )
    return order


def _due_at(target_state: str, order: Order, changes: dict[str, Any],
            now: datetime.datetime) -> dict[str, Any]:
    """The stored due moment of the state entered, when its target is computed on entry."""
    target = STATES[target_state].target
    if target is None or target.due is None:
        return {}
    entering = copy.copy(order)
    for key, value in changes.items():
        setattr(entering, key, value)
    return {"due_at": target.due(entering, now)}


def require_unchanged_state(transition: Transition, order: Order) -> None:
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


def lock_order(order: Order) -> Order:
    """The order's row, held until the transaction ends (PostgreSQL; SQLite's writers already
    run one at a time), for a check of other rows that must still hold at the commit."""
    return Order.objects.select_for_update().get(pk=order.pk)
