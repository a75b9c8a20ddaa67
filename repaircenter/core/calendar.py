"""Working days and the center's calendar."""

import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days (Monday to Friday) after `start`."""
    current = start
    remaining = days
    while remaining > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def months_later(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same wall-clock time `months` later, in the center's time zone.

    31 August plus six months is 28 (or 29) February: relativedelta clamps to the month's end.
    """
    local = timezone.localtime(moment)
    naive = local.replace(tzinfo=None) + relativedelta(months=months)
    return timezone.make_aware(naive, timezone.get_current_timezone())
