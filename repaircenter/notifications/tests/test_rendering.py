"""Turning templates into message texts: SMS segment counting, the built-in texts, the checks a
manager's template goes through, what the templates can see, and the shape of the result."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from repaircenter.centers.models import Center
from repaircenter.customers.models import Channel
from repaircenter.notifications import outbox, rendering
from repaircenter.notifications.default_templates import DEFAULTS
from repaircenter.notifications.models import Event, Message, MessageTemplate
from repaircenter.notifications.sms_segments import count_segments
from repaircenter.orders import workflow
from repaircenter.orders.models import Equipment, EquipmentKind, EventChannel, Order, Status

LONDON = zoneinfo.ZoneInfo("Europe/London")
SITE_URL = "https://repairs.example.co.uk"
PAIRS = [(event.value, channel.value) for event in Event for channel in Channel]


# --- SMS segments ------------------------------------------------------------------------------


def segments(text: str) -> tuple[str, int, int, int]:
    result = count_segments(text)
    return result.encoding, result.units, result.count, result.per_segment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("GSM-7", 0, 0, 160)),
        ("a", ("GSM-7", 1, 1, 160)),
        ("a" * 160, ("GSM-7", 160, 1, 160)),
        ("a" * 161, ("GSM-7", 161, 2, 153)),
        ("a" * 306, ("GSM-7", 306, 2, 153)),
        ("a" * 307, ("GSM-7", 307, 3, 153)),
        # The extension table: escape + character, two septets each.
        ("€" * 80, ("GSM-7", 160, 1, 160)),
        ("€" + "a" * 159, ("GSM-7", 161, 2, 153)),
        ("[" + "a" * 159, ("GSM-7", 161, 2, 153)),
        ("{}\\~^|]" + "a" * 146, ("GSM-7", 160, 1, 160)),
        # Accented letters in the basic alphabet cost one septet and keep GSM-7.
        ("ü" + "a" * 159, ("GSM-7", 160, 1, 160)),
        ("Zoë Brontë, £45.00 — ", ("UCS-2", 21, 1, 70)),  # the dash is not GSM
        ("£" * 160, ("GSM-7", 160, 1, 160)),
        # One character outside GSM 03.38 makes the whole text UCS-2.
        ("ś" + "a" * 69, ("UCS-2", 70, 1, 70)),
        ("ś" + "a" * 70, ("UCS-2", 71, 2, 67)),
        ("It’s ready" + "a" * 60, ("UCS-2", 70, 1, 70)),  # a curly apostrophe
        ("“quoted”", ("UCS-2", 8, 1, 70)),
        ("ś" * 134, ("UCS-2", 134, 2, 67)),
        ("ś" * 135, ("UCS-2", 135, 3, 67)),
        # An emoji is two UTF-16 code units.
        ("😀", ("UCS-2", 2, 1, 70)),
        ("😀" + "a" * 68, ("UCS-2", 70, 1, 70)),
        ("😀" + "a" * 69, ("UCS-2", 71, 2, 67)),
    ],
)
def test_count_segments(text, expected):
    assert segments(text) == expected


def test_a_long_text_is_counted_per_153_septets_not_per_160():
    # 320 septets would be two segments of 160, but concatenated segments hold 153 each.
    assert count_segments("a" * 320).count == 3


@pytest.mark.parametrize(
    "text",
    [
        "a" * 152 + "€" * 77,  # 306 septets; the first € would straddle the boundary
        "a" * 66 + "😀" + "a" * 66,  # 134 units; the emoji would straddle the boundary
    ],
    ids=["escape-at-boundary", "surrogate-at-boundary"],
)
def test_a_character_that_cannot_be_split_pushes_the_text_into_another_segment(text):
    assert count_segments(text).count == 3


# --- the built-in texts ------------------------------------------------------------------------


def test_every_event_has_a_default_on_every_channel():
    assert set(DEFAULTS) == set(PAIRS)
    assert len(PAIRS) == len(Event) * len(Channel)
    for (_event, channel), (subject, body) in DEFAULTS.items():
        assert body.strip()
        # A subject is for email; an email without one would arrive as "(no subject)".
        assert bool(subject.strip()) == (channel == Channel.EMAIL)


@pytest.mark.django_db
def test_the_migrations_give_every_pair_a_template_row_with_the_default_text():
    rows = {(t.event, t.channel): (t.subject, t.body) for t in MessageTemplate.objects.all()}
    assert set(rows) == set(PAIRS)
    assert rows == DEFAULTS


@pytest.mark.django_db
@pytest.mark.parametrize(("event", "channel"), PAIRS)
def test_every_default_passes_the_check(event, channel):
    subject, body = DEFAULTS[(event, channel)]
    assert rendering.check(subject, body, rendering.sample_context()) == []
    rendering.validate(subject, body, rendering.sample_context())  # does not raise


def key_tree(value):
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in value.items()}
    return None


@pytest.mark.django_db
def test_the_sample_context_offers_exactly_the_names_a_real_order_gives(make_order):
    # A template checked against the sample renders on a real order with the same names.
    order = make_order(Status.READY_REPAIRED)
    assert key_tree(rendering.sample_context()) == key_tree(rendering.order_context(order))


# --- realistic orders --------------------------------------------------------------------------

# The state an order is in when each notice is written.
STATE_OF_EVENT = {
    "order_received": Status.RECEIVED,
    "estimate_ready": Status.AWAITING_DECISION,
    "decision_reminder": Status.AWAITING_DECISION,
    "ready_repaired": Status.READY_REPAIRED,
    "ready_unrepaired": Status.READY_UNREPAIRED,
    "storage_reminder": Status.READY_REPAIRED,
    "disposal_warning": Status.DISPOSAL_DUE,
    "link_resent": Status.AWAITING_DECISION,  # asked for on the public site, in any state
}
# The longest date there is: a two-digit day of the longest month.
LONG_DATE = datetime.datetime(2027, 9, 30, 12, 0, tzinfo=LONDON)


@pytest.fixture
def realistic(settings, make_order):
    """An order in the state of `event`, as the customer would get it: a laptop, a real site
    address, the center's contacts filled in, the longest dates."""
    settings.SITE_URL = SITE_URL
    center = Center.default()  # the orders' center signs their messages
    center.phone, center.email = "020 7946 0000", "repairs@example.co.uk"
    center.address, center.hours = "12 High Street, London SE1 7PB", "Mon-Sat 9:00-18:00"
    center.save()
    laptop = EquipmentKind.objects.get_or_create(name="Laptop")[0]

    def make(event: str) -> tuple[Order, dict]:
        order = make_order(STATE_OF_EVENT[event])
        Equipment.objects.filter(order=order).update(
            kind=laptop, brand="Lenovo", model="ThinkPad T14"
        )
        dates = {"decision_due": LONG_DATE} if "decision" in event or "estimate" in event else {}
        if event in ("storage_reminder", "disposal_warning"):
            dates["storage_due"] = LONG_DATE
        Order.objects.filter(pk=order.pk).update(**dates)
        order = Order.objects.get(pk=order.pk)
        total = Decimal("1249.00") if event in ("estimate_ready", "decision_reminder") else None
        context = rendering.order_context(order, estimate_total=total)
        assert context["order"]["equipment"] == "Laptop Lenovo ThinkPad T14"
        return order, context

    return make


def rendered(event: str, channel: str, context: dict) -> rendering.Rendered:
    subject, body = DEFAULTS[(event, channel)]
    return rendering.render(subject, body, context, channel)


ORDER_EVENTS = [e.value for e in Event if e != Event.ADVICE_ANSWERED]


# advice_answered is left out: its SMS is the center's name and the consultant's answer, whose
# length is whatever the answer is; the other texts depend only on the order.
@pytest.mark.django_db
@pytest.mark.parametrize("event", ORDER_EVENTS)
def test_every_sms_default_fits_one_gsm7_segment_for_a_realistic_order(event, realistic):
    order, context = realistic(event)
    text = rendered(event, "sms", context).body
    assert order.display_number in text
    result = count_segments(text)
    assert result.encoding == "GSM-7", text
    assert result.count == 1, f"{result}: {text}"


@pytest.mark.django_db
@pytest.mark.parametrize("event", ORDER_EVENTS)
def test_the_phone_script_has_no_link(event, realistic):
    order, context = realistic(event)
    script = rendered(event, "phone", context).body
    assert order.display_number in script
    assert context["order"]["link"] not in script
    assert order.link_token not in script
    assert "http" not in script and "/o/" not in script




@pytest.mark.django_db
@pytest.mark.parametrize("channel", ["sms", "email"])
@pytest.mark.parametrize(
    "event",
    ORDER_EVENTS,
)
def test_sms_and_email_carry_the_link_to_the_order_page(event, channel, realistic):
    order, context = realistic(event)
    text = rendered(event, channel, context).body
    link = f"{SITE_URL}/o/{order.link_token}/"
    assert context["order"]["link"] == link
    # On a word of its own, so that phones and mail clients make it clickable whole.
    assert link in text.split()


# --- what a template can see -------------------------------------------------------------------


def leaves(value, path="context"):
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, path
            yield from leaves(item, f"{path}.{key}")
    else:
        yield path, value


@pytest.mark.django_db
def test_the_context_holds_only_plain_strings_never_model_objects(make_order, customer):
    order = make_order(Status.READY_REPAIRED)
    workflow.start_storage_clock(order=order, reached_at=LONG_DATE, channel=EventChannel.SMS)
    order = Order.objects.get(pk=order.pk)
    advice = {"question": "Is it worth it?", "answer": "Yes."}
    for context in (rendering.order_context(order, advice=advice), rendering.sample_context()):
        assert type(context) is dict
        found = list(leaves(context))
        assert len(found) >= 15
        for path, value in found:
            assert not isinstance(value, models.Model), path
            assert isinstance(value, str), f"{path} is {type(value).__name__}"
    # Nothing of the customer but their name.
    values = [value for _path, value in leaves(rendering.order_context(order))]
    assert customer.email not in "".join(values)
    assert str(customer.phone)[-6:] not in "".join(values)
    assert "Alice Brown" in values


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["order.customer.phone", "order.link_token", "customer.email", "order.pk",
             "center.pk", "order.customer"],
)
@pytest.mark.parametrize("where", ["subject", "body"])
def test_a_name_the_context_does_not_offer_is_reported_by_name(name, where, make_order):
    order = make_order(Status.RECEIVED)
    template = f"Order {{{{ order.number }}}}: {{{{ {name} }}}}"
    subject, body = (template, "x") if where == "subject" else ("x", template)
    message = f"Unknown names: {name}. See the list of names below the text."
    for context in (rendering.sample_context(), rendering.order_context(order)):
        assert rendering.check(subject, body, context) == [message]
        with pytest.raises(ValidationError) as raised:
            rendering.validate(subject, body, context)
        assert raised.value.messages == [message]
    # And rendered anyway (a row saved before the check), it shows nothing of the customer.
    text = rendering.render("", template, rendering.order_context(order), "sms").body
    assert text == f"Order {order.display_number}:"


@pytest.mark.django_db
def test_several_unknown_names_are_listed_once_each_in_order():
    problems = rendering.check(
        "{{ customer.email }}", "{{ order.link_token }} {{ customer.email }} {{ zz }}",
        rendering.sample_context(),
    )
    assert problems == [
        "Unknown names: customer.email, order.link_token, zz. "
        "See the list of names below the text."
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("subject", "body", "label", "words"),
    [
        ("", "{% if order.number %}Order {{ order.number }}", "Text", ["if"]),
        ("{% if order.number %}x", "fine", "Subject", ["if"]),
        ("", "{% frobnicate %}", "Text", ["frobnicate"]),
        ("", "{% load static %}{% static 'x' %}", "Text", ["static"]),
    ],
)
def test_a_syntax_error_is_reported_with_where_it_is(subject, body, label, words):
    problems = rendering.check(subject, body, rendering.sample_context())
    assert len(problems) == 1
    assert problems[0].startswith(f"{label}: ")
    for word in words:
        assert word in problems[0]
    with pytest.raises(ValidationError):
        rendering.validate(subject, body, rendering.sample_context())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", ['{% include "x" %}', '{% extends "base.html" %}', '{% include "admin/base.html" %}'],
)
def test_include_and_extends_find_nothing_and_are_reported_not_raised(body):
    problems = rendering.check("", f"Hello {body}", rendering.sample_context())
    assert len(problems) == 1
    assert problems[0].startswith("Text: ")
    with pytest.raises(ValidationError):
        rendering.validate("", body, rendering.sample_context())


@pytest.mark.django_db
def test_a_sound_template_passes_with_a_real_order(make_order):
    order = make_order(Status.RECEIVED)
    assert rendering.check(
        "Order {{ order.number }}",
        "{% if center.phone %}Call {{ center.phone }}{% endif %} {{ order.link|upper }}",
        rendering.order_context(order),
    ) == []


# --- the manager's templates -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_managers_edit_changes_the_next_message_and_deleting_it_restores_the_default(
    make_order, settings
):
    settings.SITE_URL = SITE_URL
    row = MessageTemplate.objects.get(event="order_received", channel="sms")
    row.body = "Hi {{ customer.name }}, order {{ order.number }} is in: {{ order.link }}"
    row.save()

    first = make_order(Status.RECEIVED)
    edited = Message.objects.get(order=first, event="order_received")
    assert edited.channel == "sms"
    assert edited.body == (
        f"Hi Alice Brown, order {first.display_number} is in: {SITE_URL}/o/{first.link_token}/"
    )
    assert edited.template == row

    row.delete()
    second = make_order(Status.RECEIVED)
    default = Message.objects.get(order=second, event="order_received")
    subject, body = DEFAULTS[("order_received", "sms")]
    expected = rendering.render(subject, body, rendering.order_context(second), "sms")
    assert default.body == expected.body
    assert default.body.startswith("Repair Center: we have your Phone Samsung Galaxy S23")
    assert default.template is None
    # The message already written keeps its text.
    edited.refresh_from_db()
    assert edited.body.startswith("Hi Alice Brown") and edited.template is None


@pytest.mark.django_db
def test_template_for_prefers_the_row_and_falls_back_to_the_default():
    row = MessageTemplate.objects.get(event="estimate_ready", channel="email")
    row.subject, row.body = "S {{ order.number }}", "B"
    row.save()
    assert rendering.template_for("estimate_ready", "email") == (row, "S {{ order.number }}", "B")
    row.delete()
    assert rendering.template_for("estimate_ready", "email") == (
        None, *DEFAULTS[("estimate_ready", "email")]
    )


# --- the shape of the text ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_email_subject_is_one_line_even_if_the_template_has_newlines(make_order):
    order = make_order(Status.RECEIVED)
    context = rendering.order_context(order)
    subject = "Your order\n{{ order.number }}\r\n\t is  {% if order.number %}\nin{% endif %}\n"
    result = rendering.render(subject, "x", context, "email")
    assert result.subject == f"Your order {order.display_number} is in"
    # Through the outbox too: the Message is what the email channel puts in the header.
    MessageTemplate.objects.filter(event="order_received", channel="email").update(
        subject=subject
    )
    message = outbox.write_message(order=order, event="order_received", channel="email")
    assert message.subject == f"Your order {order.display_number} is in"
    assert "\n" not in message.subject and "\r" not in message.subject


@pytest.mark.django_db
def test_an_email_subject_is_cut_to_the_field_length_and_sms_has_none(make_order):
    order = make_order(Status.RECEIVED)
    context = rendering.order_context(order)
    long = rendering.render("{{ order.number }} " + "x" * 300, "b", context, "email")
    assert len(long.subject) == 200 and long.subject.startswith(order.display_number)
    assert rendering.render("Subject", "b", context, "sms").subject == ""
    assert rendering.render("Subject", "b", context, "phone").subject == ""


@pytest.mark.django_db
@pytest.mark.parametrize("event", [e.value for e in Event])
def test_blank_center_fields_leave_no_gap_in_the_email(event, make_order):
    center = Center.default()
    assert center.address == center.phone == center.hours == ""  # the installation default
    order = make_order(Status.READY_REPAIRED)
    text = rendered(event, "email", rendering.order_context(order)).body
    assert "\n\n\n" not in text
    assert all(line == line.rstrip() for line in text.splitlines())
    assert text == text.strip()
    # The signature is the name alone, after one empty line.
    assert text.endswith("\n\nRepair Center")


@pytest.mark.django_db
def test_filled_center_fields_make_the_signature(make_order):
    center = Center.default()
    center.address, center.phone, center.hours = "12 High Street", "020 7946 0000", "Mon-Sat"
    center.save()
    order = make_order(Status.RECEIVED)
    text = rendered("order_received", "email", rendering.order_context(order)).body
    assert text.endswith("\n\nRepair Center\n12 High Street\n020 7946 0000\nMon-Sat")
    # Only the hours blank: no empty line where they were.
    center.hours = ""
    center.save()
    order.refresh_from_db()  # its center read again
    text = rendered("order_received", "email", rendering.order_context(order)).body
    assert text.endswith("\n\nRepair Center\n12 High Street\n020 7946 0000")


@pytest.mark.django_db
def test_a_managers_template_with_blank_fields_in_a_row_keeps_one_empty_line(make_order):
    order = make_order(Status.RECEIVED)
    body = ("Hello {{ customer.name }},  \n\n{{ center.address }}\n   \n{{ center.phone }}\n\n"
            "{{ center.hours }}\n\n\n\nBye {{ order.number }}\t\n\n\n")
    text = rendering.render("", body, rendering.order_context(order), "email").body
    assert text == f"Hello Alice Brown,\n\nBye {order.display_number}"


# --- dates -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dates_are_written_the_long_way(make_order):
    order = make_order(Status.AWAITING_DECISION)
    Order.objects.filter(pk=order.pk).update(decision_due=LONG_DATE)
    context = rendering.order_context(Order.objects.get(pk=order.pk))["order"]
    assert context["decision_due"] == "30 September 2027"
    assert context["storage_due"] == ""  # not started: empty, not "None"
    assert context["estimate_total"] == "45.00 GBP"


@pytest.mark.django_db
def test_the_storage_date_is_the_centers_date(make_order):
    order = make_order(Status.READY_REPAIRED)
    # The ready notice reached the customer at 00:30 on a winter night: storage ends at 00:30
    # on 25 May, British Summer Time, which is 23:30 UTC on the 24th.
    reached = datetime.datetime(2026, 11, 25, 0, 30, tzinfo=LONDON)
    workflow.start_storage_clock(order=order, reached_at=reached, channel=EventChannel.EMAIL)
    order = Order.objects.get(pk=order.pk)
    assert order.storage_due == datetime.datetime(2027, 5, 25, 0, 30, tzinfo=LONDON)
    assert rendering.order_context(order)["order"]["storage_due"] == "25 May 2027"


# --- the HTML part of an email -----------------------------------------------------------------


def test_the_center_name_in_the_html_is_escaped():
    html = rendering.email_html("Hello", center_name="Smith & Sons <Repairs>")
    assert "Smith &amp; Sons &lt;Repairs&gt;" in html
    assert "<Repairs>" not in html


def test_the_html_part_is_the_text_in_paragraphs_with_the_link_clickable_and_escaped_once():
    body = "Hello <b>Bold</b> & Co,\n\nFollow it here:\nhttps://repairs.example.co.uk/o/abc/"
    html = rendering.email_html(body, center_name="Repair Center")
    assert "<p>Hello &lt;b&gt;Bold&lt;/b&gt; &amp; Co,</p>" in html
    assert '<a href="https://repairs.example.co.uk/o/abc/"' in html
    assert "Follow it here:<br>" in html
