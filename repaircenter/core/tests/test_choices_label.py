"""The `label` template filter shows what get_FOO_display() shows, on any model's choices (here
Django's own admin log; the orders' channels and states are tested in orders)."""

from django.contrib.admin.models import ACTION_FLAG_CHOICES, LogEntry
from django.template import Context, Template
from django.utils import translation


def render(obj, field):
    return Template('{% load choices %}{{ obj|label:"' + field + '" }}').render(
        Context({"obj": obj}))


def test_label_is_the_display_of_every_choice():
    for flag, _ in ACTION_FLAG_CHOICES:
        entry = LogEntry(action_flag=flag)
        assert render(entry, "action_flag") == entry.get_action_flag_display()


def test_the_label_is_translated_when_shown_not_when_first_read():
    entry = LogEntry(action_flag=ACTION_FLAG_CHOICES[0][0])
    with translation.override("en"):
        english = render(entry, "action_flag")
    with translation.override("de"):
        german = render(entry, "action_flag")
        assert german == entry.get_action_flag_display()
    assert english == "Addition" and german != english


def test_an_unknown_value_shows_as_it_is():
    assert render(LogEntry(action_flag=99), "action_flag") == "99"
