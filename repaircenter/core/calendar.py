"""Working days and the center's calendar."""

import datetime
import zoneinfo
from collections.abc import Collection

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone


def add_working_days(
    start: datetime.date, days: int, holidays: Collection[datetime.date] = ()
) -> datetime.date:
    """The date `days` working days after `start`: Monday to Friday, not a holiday."""
    current = start
    remaining = days
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


def center_timezone() -> zoneinfo.ZoneInfo:
    """The chain's time zone (settings.TIME_ZONE), whatever zone a request activated; an order's
    deadlines use its own center's (centers.Center.zone)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def center_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment, center_timezone())


def months_later(
    moment: datetime.datetime, months: int, zone: zoneinfo.ZoneInfo | None = None
) -> datetime.datetime:
    """The same wall-clock time `months` later, in `zone` (an order's center's; by default the
    chain's, settings.TIME_ZONE).

    31 August plus six months is 28 (or 29) February: relativedelta clamps to the month's end.
    """
    zone = zone or center_timezone()
    local = timezone.localtime(moment, zone)
    naive = local.replace(tzinfo=None) + relativedelta(months=months)
    return timezone.make_aware(naive, zone)


def days_later(
    moment: datetime.datetime, days: int, zone: zoneinfo.ZoneInfo | None = None
) -> datetime.datetime:
    """The same wall-clock time `days` calendar days later in `zone` (by default the chain's),
    across a change to or from summer time that is 23 or 25 hours for one of the days."""
    zone = zone or center_timezone()
    local = timezone.localtime(moment, zone)
    naive = local.replace(tzinfo=None) + datetime.timedelta(days=days)
    return timezone.make_aware(naive, zone)
