"""Every change of an order's state, and nothing else changes it.

One function per transition of the registry (orders/transitions.py names each one's function),
keyword-only, each in the module of its stage:

- base.py: who acts (`Actor`), the errors a caller shows, the guard, the compare-and-set, the
  event and its announcement;
- intake.py: `take_in`, and the link and pickup code replaced later;
- estimate.py: diagnostics and the estimate;
- decisions.py: the customer's decision, and its lapse;
- repair.py: the repair and the stress test;
- issuance.py: handing the equipment over;
- storage.py: the storage clock and the shelf;
- disposal.py: due for disposal, and the manager's confirmation;
- many.py: the set-based changes of many orders (the deadline sweep).

Callers use the package: `from repaircenter.orders import workflow; workflow.approve(...)`.
"""

from ..states import CLOSED_STATES, STORED_STATES
from ..transitions import CUSTOMER, SYSTEM, TRANSITIONS, Transition
from .base import (
    DECISION_MONTHS,
    STAFF_KINDS,
    STORAGE_MONTHS,
    Actor,
    Conflict,
    DecisionPeriodOver,
    EstimateReplaced,
    MissingInput,
    NotAllowed,
    Refused,
    WorkflowError,
    WrongState,
    actor_channel,
    allowed_transitions,
    is_allowed,
    record_event,
)
from .decisions import STAFF_DECISION_CHANNELS, approve, decision_open, lapse_decision, refuse
from .disposal import (
    confirm_disposal,
    confirm_disposals,
    customer_reached,
    disposal_refusals,
    mark_disposal_due,
)
from .estimate import (
    current_estimate,
    declare_not_repairable,
    record_findings,
    repair_under_warranty,
    send_estimate,
    start_diagnosis,
)
from .intake import (
    INTAKE_ROLES,
    LINK_ROLES,
    CustomerDetails,
    EquipmentDetails,
    IntakeResult,
    SeveralDevicesMatch,
    reissue_pickup_code,
    renew_unwritable_link,
    replace_portal_link,
    take_in,
)
from .issuance import (
    PICKUP_CODE_MAX_FAILURES,
    LostOriginal,
    issuance_locked,
    issue,
    unlock_issuance,
)
from .many import lapse_decisions, mark_disposals_due
from .parts import (
    after_purchase_sent,
    await_parts,
    missing_parts,
    parts_arrived,
    parts_wanted,
    receive_purchase_order,
)
from .records import (
    PASSCODE_ROLES,
    ConditionAnswer,
    Passcode,
    check_condition,
    checklist,
    erase_passcodes,
    show_passcode,
)
from .repair import TestRun, finish_works, lines_not_done, record_test, start_repair
from .storage import STORAGE_ROLES, set_storage_location, start_storage_clock
from .transfers import (
    TRANSFER_ROLES,
    is_away,
    is_overdue,
    receive_transfer,
    send_transfer,
    where_is,
)

__all__ = [
    "after_purchase_sent", "await_parts", "missing_parts", "parts_arrived", "parts_wanted",
    "receive_purchase_order",
    "CLOSED_STATES", "CUSTOMER", "DECISION_MONTHS", "INTAKE_ROLES", "LINK_ROLES",
    "PICKUP_CODE_MAX_FAILURES", "STAFF_DECISION_CHANNELS", "STAFF_KINDS", "STORAGE_MONTHS",
    "STORAGE_ROLES", "STORED_STATES", "SYSTEM", "TRANSFER_ROLES", "TRANSITIONS", "Actor",
    "Conflict",
    "CustomerDetails", "DecisionPeriodOver", "EquipmentDetails", "EstimateReplaced",
    "IntakeResult", "LostOriginal", "MissingInput", "NotAllowed", "Refused", "TestRun",
    "Transition",
    "SeveralDevicesMatch",
    "WorkflowError", "WrongState", "actor_channel", "allowed_transitions", "approve",
    "confirm_disposal", "confirm_disposals", "current_estimate", "customer_reached",
    "decision_open", "declare_not_repairable", "disposal_refusals", "finish_works",
    "is_allowed", "issuance_locked", "issue", "lapse_decision", "lapse_decisions",
    "lines_not_done", "mark_disposal_due", "mark_disposals_due", "reissue_pickup_code",
    "record_event", "renew_unwritable_link", "record_findings", "record_test", "refuse",
    "replace_portal_link", "repair_under_warranty",
    "is_away", "is_overdue", "receive_transfer", "send_transfer",
    "where_is",
    "send_estimate", "set_storage_location", "start_diagnosis", "start_repair",
    "start_storage_clock", "take_in", "unlock_issuance",
    "PASSCODE_ROLES", "ConditionAnswer", "Passcode", "check_condition", "checklist",
    "erase_passcodes", "show_passcode",
]
