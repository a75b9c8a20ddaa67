"""Every change of an order's state, declared once: who may make it, from which states, to
which state, what the person making it gives, and which workflow function makes it.

The staff order page's buttons, the API's operations, the history's labels, the webhooks' and
the customer's page's lists of decisions all derive from this table; the workflow checks every
change against it. The test `orders/tests/test_registry.py` walks it.

What a transition asks for (`needs`) also says which form makes it:
- nothing, or "note": a button with a note (required with "note");
- "estimate": the estimate editor sends it;
- "channel": the customer's decision, with the channel and its evidence;
- "test": the stress test's form;
- "pickup_code": issuance, with the pickup code or a lost original;
- "method": the disposal, with how the equipment is disposed of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from repaircenter.accounts.roles import Role

from .states import READY_STATES, PendingSupplement, Status

# Pseudo-roles: who acts besides staff.
CUSTOMER = "customer"  # through the order page link
SYSTEM = "system"  # the worker's sweeps

# Forms, by what a transition needs (see the docstring).
NOTE, ESTIMATE, DECISION, TEST, ISSUE, DISPOSAL = (
    "note", "estimate", "decision", "test", "issue", "disposal")
_FORM_OF_NEED = {"estimate": ESTIMATE, "channel": DECISION, "test": TEST,
                 "pickup_code": ISSUE, "method": DISPOSAL}


@dataclass(frozen=True)
class Transition:
    name: str
    label: Promise  # the button, and the name refusals give it
    done: Promise  # how the order's history names it
    sources: frozenset[str]
    target: str
    roles: frozenset[str]
    function: str  # the workflow function that makes it
    needs: tuple[str, ...] = field(default=())
    # Which decision the order must be waiting for (Order.pending_supplement); None: any.
    pending: frozenset[str] | None = None
    # The API operation's path under /api/v1/orders/<number>/; "" for the system's own.
    api: str = ""
    # It ends the repair or the equipment's stay: the button asks "are you sure?" first.
    confirm: bool = False
    # Only for a warranty claim (Order.warranty_of).
    claim_only: bool = False

    @property
    def manual(self) -> bool:
        """Staff (or the customer) make it; the system's own transitions have no button."""
        return SYSTEM not in self.roles

    @property
    def form(self) -> str:
        return next((_FORM_OF_NEED[n] for n in self.needs if n in _FORM_OF_NEED), NOTE)

    @property
    def is_decision(self) -> bool:
        """The customer's own decision on an estimate (not its lapse)."""
        return self.form == DECISION

    @property
    def staff_roles(self) -> frozenset[str]:
        return self.roles - {CUSTOMER, SYSTEM}


def _t(name, label, done, sources, target, roles, function, pending=None, **kwargs):
    return Transition(
        name, label, done, frozenset(sources), target, frozenset(roles), function,
        pending=None if pending is None else frozenset(pending), **kwargs,
    )


S, P = Status, PendingSupplement
R, T, M = Role.RECEPTIONIST, Role.TECHNICIAN, Role.MANAGER
BEFORE_REPAIR = (S.RECEIVED, S.DIAGNOSING, S.AWAITING_DECISION, S.APPROVED,
                 S.WAITING_FOR_PARTS)
AD = [S.AWAITING_DECISION]
MAIN = [P.NONE]
SUPPLEMENT = [P.OPTIONAL, P.REQUIRED]
SEND = "estimates/<int:estimate_number>/send"

TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("start_diagnosis", _("Take for diagnostics"), _("Diagnostics started"),
           [S.RECEIVED], S.DIAGNOSING, [T, M], "start_diagnosis", api="start-diagnosis"),
        _t("send_estimate", _("Send the estimate"), _("Estimate sent to the customer"),
           [S.DIAGNOSING], S.AWAITING_DECISION, [T, M], "send_estimate", needs=("estimate",),
           api=SEND),
        _t("revise_estimate", _("Send a revised estimate"),
           _("Revised estimate sent; it replaces the earlier one"), AD, S.AWAITING_DECISION,
           [T, M], "send_estimate", needs=("estimate",), api=SEND),
        _t("send_supplement", _("Send a supplementary estimate"),
           _("Supplementary estimate sent to the customer"), [S.REPAIRING],
           S.AWAITING_DECISION, [T, M], "send_estimate", needs=("estimate",), api=SEND),
        # A warranty claim whose draft holds only covered lines: repaired free of charge, no
        # decision asked of the customer (orders/warranty.py).
        _t("repair_under_warranty", _("Repair under warranty"),
           _("Repair under warranty: covered lines, free of charge"), [S.DIAGNOSING],
           S.REPAIRING, [T, M], "repair_under_warranty", needs=("estimate",),
           api="estimates/<int:estimate_number>/repair-under-warranty", claim_only=True),
        _t("declare_not_repairable", _("Not repairable"), _("Found not repairable"),
           [S.DIAGNOSING], S.READY_UNREPAIRED, [T, M], "declare_not_repairable",
           needs=("note",), api="not-repairable", confirm=True),
        _t("approve", _("Record approval"), _("Repair approved"), AD, S.APPROVED,
           [R, M, CUSTOMER], "approve", MAIN, needs=("channel",), api="decisions"),
        _t("refuse", _("Record refusal"), _("Repair refused"), BEFORE_REPAIR,
           S.READY_UNREPAIRED, [R, M, CUSTOMER], "refuse", MAIN, needs=("channel", "note"),
           api="decisions", confirm=True),
        _t("approve_supplement", _("Record approval of the supplement"),
           _("Supplementary estimate approved"), AD, S.REPAIRING, [R, M, CUSTOMER], "approve",
           SUPPLEMENT, needs=("channel",), api="decisions"),
        _t("refuse_supplement", _("Record refusal of the supplement"),
           _("Supplementary estimate refused; the repair goes on without it"), AD,
           S.REPAIRING, [R, M, CUSTOMER], "refuse", [P.OPTIONAL], needs=("channel", "note"),
           api="decisions"),
        _t("refuse_required_supplement",
           _("Record refusal of the supplement (repair cannot finish)"),
           _("Supplementary estimate refused; the repair cannot finish"), AD,
           S.READY_UNREPAIRED, [R, M, CUSTOMER], "refuse", [P.REQUIRED],
           needs=("channel", "note"), api="decisions", confirm=True),
        _t("lapse_decision", _("Decision period ended"),
           _("No decision within the decision period"), AD, S.READY_UNREPAIRED, [SYSTEM],
           "lapse_decision", MAIN),
        _t("lapse_supplement", _("Decision period on the supplement ended"),
           _("No decision on the supplementary estimate; the repair goes on"), AD,
           S.REPAIRING, [SYSTEM], "lapse_decision", [P.OPTIONAL]),
        _t("lapse_required_supplement",
           _("Decision period on the supplement ended (repair cannot finish)"),
           _("No decision on the supplementary estimate; returned"), AD, S.READY_UNREPAIRED,
           [SYSTEM], "lapse_decision", [P.REQUIRED]),
        _t("await_parts", _("Waiting for parts"),
           _("Approved, but parts are missing: waiting for them"), [S.APPROVED],
           S.WAITING_FOR_PARTS, [SYSTEM], "await_parts"),
        _t("parts_arrived", _("Parts arrived"), _("The missing parts arrived"),
           [S.WAITING_FOR_PARTS], S.APPROVED, [SYSTEM], "parts_arrived"),
        _t("start_repair", _("Start the repair"), _("Repair started"), [S.APPROVED],
           S.REPAIRING, [T, M], "start_repair", api="start-repair"),
        _t("finish_works", _("Works done, to stress test"), _("Works finished"),
           [S.REPAIRING], S.TESTING, [T, M], "finish_works", api="finish-works"),
        _t("pass_test", _("Stress test passed"), _("Stress test passed"), [S.TESTING],
           S.READY_REPAIRED, [T, M], "record_test", needs=("test", "note"), api="tests"),
        _t("fail_test", _("Stress test failed"), _("Stress test failed"), [S.TESTING],
           S.REPAIRING, [T, M], "record_test", needs=("test", "note"), api="tests"),
        _t("mark_disposal_due", _("Storage period ended"),
           _("Storage period ended: due for disposal"), READY_STATES, S.DISPOSAL_DUE,
           [SYSTEM], "mark_disposal_due"),
        _t("issue", _("Issue to the customer"), _("Handed over to the customer"),
           [*READY_STATES, S.DISPOSAL_DUE], S.ISSUED, [R, M], "issue",
           needs=("pickup_code",), api="issue"),
        _t("confirm_disposal", _("Confirm disposal"), _("Disposed of"), [S.DISPOSAL_DUE],
           S.DISPOSED, [M], "confirm_disposal", needs=("method", "note"), api="dispose",
           confirm=True),
    ]
}

# The customer's decisions on an estimate, and the lapses that stand for one.
DECISIONS = frozenset(name for name, t in TRANSITIONS.items() if t.is_decision)
APPROVALS = frozenset(name for name in DECISIONS if TRANSITIONS[name].function == "approve")
LAPSES = frozenset(name for name, t in TRANSITIONS.items() if t.function == "lapse_decision")
