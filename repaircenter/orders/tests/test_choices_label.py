"""The `label` template filter on the orders' channels and states: what get_FOO_display() shows."""

from django.template import Context, Template
from django.utils import translation
from django.utils.html import escape

from repaircenter.orders.models import EventChannel, Order, OrderEvent, Status


def render(obj, field):
    return Template('{% load choices %}{{ obj|label:"' + field + '" }}').render(
        Context({"obj": obj}))


def test_label_is_the_display_of_every_choice():
    for channel in EventChannel.values:
        event = OrderEvent(channel=channel, from_status="", to_status=Status.ISSUED)
        assert render(event, "channel") == escape(event.get_channel_display())
    assert render(OrderEvent(to_status=Status.READY_REPAIRED), "to_status") == (
        "Ready for collection (repaired)")


def test_an_empty_or_unknown_value_shows_as_it_is():
    assert render(OrderEvent(from_status=""), "from_status") == ""
    assert render(OrderEvent(channel="carrier-pigeon"), "channel") == "carrier-pigeon"


def test_status_label_matches_get_status_display():
    with translation.override("en"):
        for status in Status.values:
            order = Order(status=status)
            assert str(order.status_label) == order.get_status_display()
