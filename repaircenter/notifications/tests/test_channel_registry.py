"""Walks the registry of channels (customers/channels.py): everything a channel needs is there
for each one, and what derives from the registry follows it. A new channel that is missing a
piece fails here, with the piece named."""

import uuid

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from repaircenter import settings as project_settings
from repaircenter.api.serializers import CustomerSerializer
from repaircenter.consult.models import REPLY_CHANNELS, AdviceRequest
from repaircenter.customers.channels import CHANNELS, EMAIL, PHONE, Delivery, Kind, address_of
from repaircenter.customers.models import Channel, Customer
from repaircenter.notifications import rendering
from repaircenter.notifications.default_templates import DEFAULTS
from repaircenter.notifications.delivery import STORAGE_CHANNELS
from repaircenter.notifications.models import Event, Message, MessageTemplate
from repaircenter.notifications.sms_segments import count_segments
from repaircenter.orders.models import EventChannel, OrderEvent
from repaircenter.staff.forms import IntakeForm

KEYS = list(CHANNELS)
# The peer each backend sends to in a test: a real server on 127.0.0.1 (notifications conftest).
PEERS = {"smtp": "smtp_server", "http": "sms_provider", "call": None}


@pytest.mark.parametrize("key", KEYS)
def test_each_channel_is_declared_whole(key):
    channel = CHANNELS[key]
    assert channel.key == key and key.isidentifier() and key == key.lower()
    assert len(key) <= Message._meta.get_field("channel").max_length
    assert str(channel.label).strip() and str(channel.in_sentence).strip()
    assert channel.kind in (Kind.TEXT, Kind.EMAIL, Kind.CALL)
    assert channel.delivery in (Delivery.ACCEPTED, Delivery.REPORTED, Delivery.ANSWERED)
    # Its address is a field of the customer, and of an advice asker if answers go by it.
    assert channel.address_field in (PHONE, EMAIL)
    Customer._meta.get_field(channel.address_field)
    if channel.advice_answers:
        AdviceRequest._meta.get_field(channel.address_field)
        assert channel.kind != Kind.CALL, "a call cannot carry a written answer"


@pytest.mark.parametrize("key", KEYS)
def test_each_backend_a_channel_names_is_a_class_that_sends(key):
    channel = CHANNELS[key]
    assert channel.backends, "a channel needs a backend that can send it"
    for backend in channel.backends:
        assert backend in project_settings.CHANNEL_CLASSES, backend
        assert callable(import_string(project_settings.CHANNEL_CLASSES[backend])().send)


@pytest.mark.parametrize("key", KEYS)
def test_each_channel_is_in_every_list_derived_from_the_registry(key):
    channel = CHANNELS[key]
    assert Channel(key).label == channel.label
    assert EventChannel(key).label == (channel.event_label or channel.label)
    for field in (Message._meta.get_field("channel"),
                  MessageTemplate._meta.get_field("channel")):
        assert dict(field.flatchoices)[key] == channel.label
    assert key in dict(OrderEvent._meta.get_field("channel").flatchoices)
    assert (key in STORAGE_CHANNELS) == channel.starts_storage_clock
    assert (key in REPLY_CHANNELS) == channel.advice_answers
    assert (key in dict(AdviceRequest._meta.get_field("reply_channel").flatchoices)) == (
        channel.advice_answers)


@pytest.mark.parametrize("key", KEYS)
def test_each_channel_has_a_default_text_for_every_event(key):
    """Every event, an advice answer too: a channel that cannot carry one has a text for the
    manager's list all the same (test_rendering wants every pair)."""
    channel = CHANNELS[key]
    for event in Event:
        assert (event, key) in DEFAULTS, f"no default text for {event} on {key}"
        subject, body = DEFAULTS[(event, key)]
        assert body.strip()
        assert bool(subject.strip()) == channel.has_subject


@pytest.mark.django_db
@pytest.mark.parametrize("key", KEYS)
def test_migrating_gave_each_default_text_a_row_the_manager_edits(key):
    rows = set(MessageTemplate.objects.filter(channel=key).values_list("event", "channel"))
    assert rows == {pair for pair in DEFAULTS if pair[1] == key}
    assert {(e, key) for e in Event} <= rows


@pytest.mark.django_db
@pytest.mark.parametrize("key", [k for k, c in CHANNELS.items() if c.kind == Kind.TEXT])
def test_a_text_channels_defaults_fit_one_segment_on_a_usual_order(key):
    """The segment rule of a text channel: its texts are counted, and the built-in ones cost
    one segment with values of usual length (the template editor shows the count)."""
    for event in Event:
        subject, body = DEFAULTS[(event, key)]
        text = rendering.render(subject, body, rendering.sample_context(), key)
        assert text.subject == ""
        assert count_segments(text.body).count == 1, (event, count_segments(text.body))


@pytest.mark.django_db
@pytest.mark.parametrize("key", KEYS)
def test_the_intake_form_and_the_api_accept_each_channel(key, phone_kind):
    data = {"phone": "020 7946 0101", "name": "Alice Brown", "email": "alice@example.com",
            "channel_1": key, "kind": str(phone_kind.pk), "brand": "Lenovo", "condition": "Worn",
            "fault": "No power", "intake_key": str(uuid.uuid4())}
    form = IntakeForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["preferred_channels"] == [key]
    serializer = CustomerSerializer(data={"name": "Alice Brown", "phone": "020 7946 0101",
                                          "email": "alice@example.com",
                                          "preferred_channels": [key]})
    assert serializer.is_valid(), serializer.errors


@pytest.mark.django_db
@pytest.mark.parametrize("key", KEYS)
def test_a_chosen_channel_without_its_address_is_refused_by_the_form_and_the_api(
    key, phone_kind
):
    """The address field of each channel is checked where channels are chosen. The phone is
    required anyway, so a phone channel shows as the phone's own error."""
    field = CHANNELS[key].address_field
    data = {"phone": "020 7946 0101", "name": "Alice Brown", "email": "alice@example.com",
            "channel_1": key, "kind": str(phone_kind.pk), "brand": "Lenovo", "condition": "Worn",
            "fault": "No power", "intake_key": str(uuid.uuid4()), field: ""}
    form = IntakeForm(data=data)
    assert not form.is_valid()
    assert field in form.errors
    serializer = CustomerSerializer(data={"name": "Alice Brown", "phone": "020 7946 0101",
                                          "email": "alice@example.com",
                                          "preferred_channels": [key], field: ""})
    assert not serializer.is_valid()
    assert field in serializer.errors


@pytest.mark.parametrize("key", KEYS)
def test_the_address_is_the_customers_field_of_the_channel(key):
    customer = Customer(name="Alice", phone="+442079460101", email="alice@example.com")
    expected = {PHONE: "+442079460101", EMAIL: "alice@example.com"}
    assert address_of(customer, key) == expected[CHANNELS[key].address_field]
    assert address_of(Customer(name="Bo", phone="", email=""), key) == ""
    asker = AdviceRequest(name="Alice", phone="+442079460101", email="alice@example.com")
    assert asker.address(key) == (expected[CHANNELS[key].address_field]
                                  if CHANNELS[key].advice_answers else "")


@pytest.mark.parametrize("key", KEYS)
def test_the_settings_switch_offers_the_channels_backends_and_off(key, monkeypatch):
    channel = CHANNELS[key]
    monkeypatch.delenv(channel.setting, raising=False)
    default = project_settings.CHANNEL_CLASSES[channel.backends[0]]
    assert project_settings.channel_class(channel) == default
    for backend in channel.backends:
        monkeypatch.setenv(channel.setting, backend)
        assert project_settings.channel_class(channel) == (
            project_settings.CHANNEL_CLASSES[backend])
    monkeypatch.setenv(channel.setting, "off")
    assert project_settings.channel_class(channel) is None
    for other in set(project_settings.CHANNEL_CLASSES) - set(channel.backends) | {"carrier"}:
        monkeypatch.setenv(channel.setting, other)
        with pytest.raises(ImproperlyConfigured, match=channel.setting):
            project_settings.channel_class(channel)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "backend"),
    [(k, b) for k, c in CHANNELS.items() for b in c.backends if b != "console"],
)
def test_each_backend_reports_delivery_as_its_channel_declares(key, backend, request, settings):
    """Sent through the real peer: an SMTP server's acceptance is delivery; an SMS provider
    takes the message and gives the id its delivery report will quote; a call waits for the
    caller to record the answer."""
    if PEERS[backend]:
        request.getfixturevalue(PEERS[backend])
    channel = CHANNELS[key]
    recipient = {PHONE: "+442079460101", EMAIL: "alice@example.com"}[channel.address_field]
    message = Message(channel=key, event=Event.ORDER_RECEIVED, recipient=recipient,
                      subject="Order R-000001" if channel.has_subject else "", body="Hello")
    receipt = import_string(settings.CHANNEL_CLASSES[backend])().send(message)
    assert receipt.delivered == (channel.delivery == Delivery.ACCEPTED)
    assert bool(receipt.provider_ref) == (channel.delivery == Delivery.REPORTED)


@pytest.mark.django_db
def test_the_migrations_match_the_registry():
    """Choices are callables, so a new channel changes no migration of them; a new advice
    channel changes the database rule that an advice request has its address, and needs one."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_the_next_migrate_adds_a_missing_template_row_and_keeps_edited_ones():
    """An installed system gets the rows of a new channel or event when it migrates (the
    signal migrate sends at its end, sent here alone: a whole migrate takes a second)."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    MessageTemplate.objects.filter(event=Event.ORDER_RECEIVED, channel="sms").delete()
    MessageTemplate.objects.filter(event=Event.ESTIMATE_READY, channel="email").update(
        body="Edited by the manager")
    config = apps.get_app_config("notifications")
    post_migrate.send(sender=config, app_config=config, verbosity=0, interactive=False,
                      using="default", apps=apps, plan=[])
    rows = {(t.event, t.channel): (t.subject, t.body) for t in MessageTemplate.objects.all()}
    assert rows[(Event.ORDER_RECEIVED, "sms")] == DEFAULTS[(Event.ORDER_RECEIVED, "sms")]
    assert rows[(Event.ESTIMATE_READY, "email")][1] == "Edited by the manager"
    assert set(rows) == set(DEFAULTS)
