"""The channels a customer can be told by: each declared once, here; nothing else lists them.

The pattern is healthchecks' TRANSPORTS: one table of the kinds, and everything that needs the
list reads it. What derives from this table:
  - the choices: `Channel` (customers/models.py), `EventChannel` (orders/models.py), the
    channel of a message and of a template (as callables, so a new channel needs no
    migration for them), the advice form's "answer me by";
  - the address a message goes to (`address_of`), for a customer and for an advice asker;
  - the settings' switches `REPAIRCENTER_<KEY>_CHANNEL` and the backends each may name;
  - which deliveries start the storage clock (notifications/delivery.py STORAGE_CHANNELS);
  - which channels an advice answer may use (consult, the outbox).

Why here: `customers` is a low layer (it stores `preferred_channels`), `orders` needs the
channels for its events, and settings.py reads the backends before any app is loaded. So this
module imports nothing of the project and no model. The sending classes live higher up, one
module each in notifications/channels/; settings.CHANNEL_CLASSES names them by backend, and
settings.NOTIFICATION_CHANNELS says which class serves each channel.

A new channel, say "whatsapp":
  1. Declare it in CHANNELS below (its key is at most 10 characters).
  2. Its default text for each event in notifications/default_templates.py (migrating adds
     the template rows the manager edits).
  3. If no backend can send it yet: notifications/channels/<name>.py, a class with
     send(message), named in settings.CHANNEL_CLASSES.
  4. README: its REPAIRCENTER_<KEY>_CHANNEL variable.
  5. Only if advice answers may use it: `makemigrations consult` (the rule that an advice
     request has the address of its channel is a database constraint).
notifications/tests/test_channel_registry.py walks the table and says what is missing.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The customer's (and an advice asker's) fields a channel's address is in.
PHONE = "phone"
EMAIL = "email"


class Kind:
    """What a message on the channel is, which decides how its template is written."""

    TEXT = "text"  # a short text, paid per SMS segment: the template editor counts them
    EMAIL = "email"  # a subject and a text (sent with an HTML part)
    CALL = "call"  # a script a person reads out on the telephone


class Delivery:
    """When a message on the channel counts as delivered (the console backend, for trying the
    product, counts every message as delivered when it is written to the log)."""

    ACCEPTED = "accepted"  # when the server takes it (an SMTP server's 250)
    REPORTED = "reported"  # when the provider reports it, later (an SMS delivery report)
    ANSWERED = "answered"  # when the caller records that the customer answered


@dataclass(frozen=True)
class ChannelInfo:
    key: str
    label: str  # lazy: translated where it is shown
    # The field of Customer (and of AdviceRequest) its address is in: PHONE or EMAIL.
    address_field: str
    kind: str
    delivery: str
    # Names in settings.CHANNEL_CLASSES that can send it; the first is the default.
    backends: tuple[str, ...]
    # A ready notice delivered on it starts the six months of storage.
    starts_storage_clock: bool
    # An answer to an advice question may go by it (a written answer: not a call).
    advice_answers: bool
    # How a sentence names it: "the answer will come by <text message>".
    in_sentence: str
    # How the order's history names an event that came by it, where that differs from label.
    event_label: str | None = None

    @property
    def has_subject(self) -> bool:
        return self.kind == Kind.EMAIL

    @property
    def counts_segments(self) -> bool:
        return self.kind == Kind.TEXT

    @property
    def setting(self) -> str:
        """The environment variable that chooses its backend, or switches it off."""
        return f"REPAIRCENTER_{self.key.upper()}_CHANNEL"


# In the order the forms list them.
CHANNELS: dict[str, ChannelInfo] = {
    channel.key: channel
    for channel in (
        ChannelInfo(
            key="sms", label=_("SMS"), address_field=PHONE, kind=Kind.TEXT,
            delivery=Delivery.REPORTED, backends=("console", "http"),
            starts_storage_clock=True, advice_answers=True, in_sentence=_("text message"),
        ),
        ChannelInfo(
            key="email", label=_("Email"), address_field=EMAIL, kind=Kind.EMAIL,
            delivery=Delivery.ACCEPTED, backends=("console", "smtp"),
            starts_storage_clock=True, advice_answers=True, in_sentence=_("email"),
        ),
        ChannelInfo(
            key="phone", label=_("Phone call"), address_field=PHONE, kind=Kind.CALL,
            delivery=Delivery.ANSWERED, backends=("call", "console"),
            starts_storage_clock=True, advice_answers=False, in_sentence=_("phone call"),
            event_label=_("Telephone"),
        ),
    )
}

# The channels an answer to an advice question may go by, in the order CHANNELS gives.
ADVICE_ANSWER_CHANNELS = tuple(key for key, c in CHANNELS.items() if c.advice_answers)


def channel_choices() -> list[tuple[str, str]]:
    """The choices of a field holding a channel. Fields take this function, not its list, so
    their migrations name the function and a new channel changes no migration."""
    return [(c.key, c.label) for c in CHANNELS.values()]


def advice_answer_choices() -> list[tuple[str, str]]:
    return [(key, CHANNELS[key].label) for key in ADVICE_ANSWER_CHANNELS]


def address_of(person, channel: str) -> str:
    """Where a message on `channel` goes for `person` (a Customer or an AdviceRequest): the
    value of the channel's address field, or "" when it is empty or the channel unknown."""
    info = CHANNELS.get(channel)
    value = getattr(person, info.address_field, "") if info else ""
    return str(value) if value else ""
