import unicodedata

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from repaircenter.core.languages import default_language

from .channels import CHANNELS

# The ways a customer can be told about their order (Channel.SMS…), from the registry.
Channel = models.TextChoices(
    "Channel", [(key.upper(), (key, c.label)) for key, c in CHANNELS.items()], module=__name__
)


def name_search_key(text: str) -> str:
    """A name as search compares it: case-folded, accents dropped ("Żółw" -> "zołw").

    SQLite's LIKE folds case for ASCII letters only, so the folding is done here, once.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200)
    # The name as search compares it; kept in step with `name` by save().
    name_key = models.CharField(max_length=200, editable=False, db_index=True)
    # Stored as E.164; unique, so that a look-up by phone finds one person and intake reuses them.
    phone = PhoneNumberField(_("phone"), unique=True)
    email = models.EmailField(_("email"), blank=True)
    # The channels to use for notifications, most preferred first, e.g. ["sms", "email"].
    preferred_channels = models.JSONField(_("preferred channels"), default=list)
    # Their order page, messages and documents are in it; asked at intake.
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES,
                                default=default_language,
                                # rows written by code that predates the field (old migrations)
                                db_default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_key = name_search_key(self.name)
        super().save(*args, **kwargs)

    @property
    def surname(self) -> str:
        return self.name.split()[-1] if self.name.split() else ""

    @property
    def preferred_channel_labels(self) -> str:
        labels = dict(Channel.choices)
        return ", ".join(str(labels.get(c, c)) for c in self.preferred_channels)

    @property
    def masked_phone(self) -> str:
        number = str(self.phone)
        return number[:3] + "•" * max(len(number) - 6, 0) + number[-3:]


class Device(models.Model):
    """One piece of equipment, known across orders and customers (a phone changes hands) by
    its serial number or IMEI, each stored normalised (customers/devices.py)."""

    serial_number = models.CharField(_("serial number"), max_length=64, blank=True,
                                     db_index=True)
    imei = models.CharField(_("IMEI"), max_length=15, blank=True, db_index=True)
    brand = models.CharField(_("brand"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        name = f"{self.brand} {self.model}".strip()
        return f"{name} ({self.identifier})" if name else self.identifier

    @property
    def identifier(self) -> str:
        return " / ".join(part for part in (self.serial_number, self.imei) if part)
