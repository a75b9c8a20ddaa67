import pytest

from repaircenter.orders.models import Status


@pytest.mark.django_db
@pytest.mark.parametrize("status", Status.values)
def test_every_state_is_reachable_through_the_workflow(make_order, status):
    order = make_order(status)
    order.refresh_from_db()
    assert order.status == status
    # One event per change, and their states chain from "" to the order's state.
    events = list(order.events.exclude(action__in=["storage_started"]))
    assert events[0].from_status == ""
    for before, after in zip(events, events[1:]):
        assert before.to_status == after.from_status
    assert events[-1].to_status == status


def test_every_workflow_action_has_a_label_in_the_history():
    from repaircenter.orders.models import EVENT_LABELS
    from repaircenter.orders.workflow import TRANSITIONS

    actions = set(TRANSITIONS) | {"take_in", "storage_started", "link_replaced",
                                  "pickup_code_reissued", "findings_recorded", "work_done",
                                  "work_undone", "payment", "refund", "pickup_code_wrong",
                                  "issuance_locked", "issuance_unlocked",
                                  "storage_location_set", "transfer_sent",
                                  "transfer_received", "warranty_assessed", "passcode_viewed",
                                  "passcode_erased"}
    assert actions == set(EVENT_LABELS)
