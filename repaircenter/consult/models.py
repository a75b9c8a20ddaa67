"""Free advice requests, chat threads and their messages, and which consultants are online."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from repaircenter.core.languages import current_language
from repaircenter.customers.channels import (
    ADVICE_ANSWER_CHANNELS,
    CHANNELS,
    ChannelInfo,
    address_of,
    advice_answer_choices,
)
from repaircenter.orders.models import Order

# Longest texts: a question, an answer (both also go into a chat), one chat message.
QUESTION_MAX = 2000
ANSWER_MAX = 2000
STORED_TEXT_MAX = 4000  # the database's own limit on a chat message, whoever writes it

# The channels an answer to a question can go by: a text or an email, never a call.
REPLY_CHANNELS = ADVICE_ANSWER_CHANNELS


def _has_the_reply_address() -> Q:
    """reply_channel is one of REPLY_CHANNELS, and the asker gave that channel's address."""
    rule = Q()
    for key in REPLY_CHANNELS:
        rule |= Q(reply_channel=key) & ~Q(**{CHANNELS[key].address_field: ""})
    return rule


class AdviceStatus(models.TextChoices):
    OPEN = "open", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    DISMISSED = "dismissed", _("Dismissed without an answer")


class AdviceSource(models.TextChoices):
    FORM = "form", _("Advice form")
    CHAT = "chat", _("Chat, while no consultant was online")


def advice_photo_path(advice: "AdviceRequest", filename: str) -> str:
    return f"advice/{timezone.now():%Y/%m}/{filename}"


class AdviceRequest(models.Model):
    """A question from anyone, with or without an order; the answer goes out by SMS or email."""

    name = models.CharField(_("name"), max_length=100)
    phone = PhoneNumberField(_("phone"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    reply_channel = models.CharField(
        _("answer by"), max_length=10, choices=advice_answer_choices
    )
    equipment = models.CharField(_("equipment"), max_length=200, blank=True)
    question = models.TextField(_("question"))
    photo = models.ImageField(_("photo"), upload_to=advice_photo_path, blank=True)
    source = models.CharField(max_length=10, choices=AdviceSource.choices)
    # A question asked in an order's chat; its customer is the asker.
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="advice_requests"
    )
    thread = models.ForeignKey(
        "ChatThread", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="advice_requests",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The answer's language: the page's where the question was asked.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=current_language, db_default="en")
    status = models.CharField(
        max_length=10, choices=AdviceStatus.choices, default=AdviceStatus.OPEN
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The hidden key of the form, so that a double-clicked submit makes one request.
    form_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # A chat hands over one question at a time; later messages join it.
            models.UniqueConstraint(
                fields=["thread"], condition=Q(status="open", thread__isnull=False),
                name="one_open_advice_per_thread",
            ),
            models.CheckConstraint(
                condition=_has_the_reply_address(),
                name="advice_has_the_reply_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.question[:40]}"

    @property
    def is_open(self) -> bool:
        return self.status == AdviceStatus.OPEN

    def address(self, channel: str) -> str:
        return address_of(self, channel) if channel in REPLY_CHANNELS else ""

    @property
    def reply_by(self) -> ChannelInfo:
        return CHANNELS[self.reply_channel]

    @property
    def reply_address(self) -> str:
        return self.address(self.reply_channel)


class ChatThread(models.Model):
    """One conversation: on an order's page (one per order), or with a visitor of the public site,
    who is recognised by a cookie whose digest alone is kept here."""

    order = models.OneToOneField(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="chat_thread"
    )
    visitor_digest = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    # Since when the visitor waits for an answer: their first message after the last answer.
    waiting_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["waiting_since"], name="chat_waiting",
                         condition=Q(waiting_since__isnull=False)),
            models.Index(fields=["-last_message_at"], name="chat_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(order__isnull=False) & Q(visitor_digest=""))
                | (Q(order__isnull=True) & ~Q(visitor_digest="")),
                name="chat_thread_of_an_order_or_a_visitor",
            ),
            models.UniqueConstraint(
                fields=["visitor_digest"], condition=~Q(visitor_digest=""),
                name="one_chat_thread_per_visitor",
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk}"


class ChatAuthor(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    CONSULTANT = "consultant", _("Consultant")
    SYSTEM = "system", _("Notice")


class ChatMessage(models.Model):
    thread = models.ForeignKey(ChatThread, on_delete=models.CASCADE, related_name="messages")
    author = models.CharField(max_length=10, choices=ChatAuthor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    body = models.TextField()
    at = models.DateTimeField(default=timezone.now)
    # Sent by the page with each message: the same message posted twice is stored once.
    client_key = models.UUIDField(null=True, blank=True, default=None)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["thread", "id"], name="chat_message_after")]
        constraints = [
            models.UniqueConstraint(
                fields=["thread", "client_key"], condition=Q(client_key__isnull=False),
                name="chat_message_posted_once",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("body"), STORED_TEXT_MAX),
                name="chat_message_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class ConsultantPresence(models.Model):
    """When each consultant last had the inbox open: the chat is staffed while one did lately
    and has not said they stepped away (a tab left open over lunch keeps polling)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seen = models.DateTimeField(db_index=True)
    away = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.user_id} {self.last_seen:%H:%M:%S}"

