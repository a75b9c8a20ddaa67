"""The centers of the chain: where equipment is taken in, repaired, stored and collected.

An order belongs to the center that took it in; its deadlines are counted in that center's time
zone and working days, and its papers and messages show that center's name and contacts."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from repaircenter.core import calendar
from repaircenter.core.languages import default_language
from repaircenter.core.models import Holiday

# What a manager chooses to see every center's orders at once (orders/workplace.py).
ALL_CENTERS = "all"
# Printed in front of the order's number (R-000016): capitals, short enough for a label.
PREFIX_PATTERN = r"^[A-Z]{1,4}$"
# An alphanumeric SMS sender: at most 11 letters, digits or spaces (what networks accept).
SENDER_PATTERN = r"^[A-Za-z0-9 ]{1,11}$"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a time zone, e.g. Europe/London."),
                              params={"zone": value})


class CenterQuerySet(models.QuerySet):
    def counters(self):
        """The centers that take equipment in: active and not a workshop only."""
        return self.filter(active=True, workshop_only=False)


class Center(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/London",
                                 validators=[validate_time_zone])
    number_prefix = models.CharField(
        _("order number prefix"), max_length=4, unique=True,
        validators=[RegexValidator(PREFIX_PATTERN, _("One to four capital letters, e.g. R."))],
        help_text=_("Printed before the order's number: R-000016. Each center has its own."),
    )
    sms_sender = models.CharField(
        _("SMS sender name"), max_length=11, blank=True,
        validators=[RegexValidator(SENDER_PATTERN, _("Up to 11 letters, digits or spaces."))],
    )
    shelves = models.TextField(
        _("storage shelves"), blank=True,
        help_text=_("The shelf or bin codes where ready equipment waits, one per line."),
    )
    workshop_only = models.BooleanField(
        _("workshop only"), default=False,
        help_text=_("A workshop has no counter: it repairs what centers send it and takes "
                    "nothing in from customers."),
    )
    active = models.BooleanField(_("active"), default=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=default_language,
        db_default="en",  # for rows written by code that predates the field (old migrations)
        help_text=_("The language a new customer is offered at intake."),
    )
    # Who works here; a manager may see every center (orders/workplace.py).
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="centers", blank=True,
                                   verbose_name=_("staff"))

    objects = CenterQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def shelf_codes(self) -> list[str]:
        return [line.strip() for line in self.shelves.splitlines() if line.strip()]

    def local_date(self, moment: datetime.datetime) -> datetime.date:
        return timezone.localdate(moment, self.zone)

    def closed_days_after(self, start: datetime.date) -> set[datetime.date]:
        """The chain's holidays and this center's own after `start`: a few dozen rows, in one
        query."""
        # Without the models' default ordering: a UNION's parts may not be ordered.
        chain = Holiday.objects.filter(date__gt=start).order_by().values_list("date", flat=True)
        own = self.holidays.filter(date__gt=start).order_by().values_list("date", flat=True)
        return set(chain.union(own))

    def working_days_after(self, start: datetime.date, days: int) -> datetime.date:
        return calendar.add_working_days(start, days, self.closed_days_after(start))

    def months_later(self, moment: datetime.datetime, months: int) -> datetime.datetime:
        return calendar.months_later(moment, months, self.zone)

    def days_later(self, moment: datetime.datetime, days: int) -> datetime.datetime:
        return calendar.days_later(moment, days, self.zone)

    @classmethod
    def default(cls) -> Center:
        """The center an order is taken in at when nobody chose one: the first counter."""
        center = cls.objects.counters().order_by("pk").first()
        if center is None:
            raise cls.DoesNotExist("no center takes equipment in")
        return center


class CenterHoliday(models.Model):
    """A day one center is closed (the chain's holidays, in core, close every center)."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["center", "date"],
                                               name="center_holiday_once")]

    def __str__(self) -> str:
        return f"{self.center}: {self.date:%Y-%m-%d} {self.name}".strip()
