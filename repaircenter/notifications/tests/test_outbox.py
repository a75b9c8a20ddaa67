def test_every_event_the_outbox_writes_has_a_label():
    from repaircenter.notifications.models import EVENT_LABELS
    from repaircenter.notifications.outbox import TEXTS

    assert set(TEXTS) == set(EVENT_LABELS)
