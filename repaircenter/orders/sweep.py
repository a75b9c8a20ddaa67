"""The deadline sweep: what happens when a date stored on an order comes.

- a decision period that ended with no decision: refused for lack of one (`lapse_decisions`);
- reminders of the decision and storage deadlines, at the days before them the manager set
  (announced to notifications, which writes them: orders/events.py);
- a storage period that ran out: due for disposal, and the customer warned once.

Each step is a fixed number of set-based statements over the indexed (status, deadline)
columns, in a transaction of its own: an interrupted sweep leaves whole steps done or not done,
and the next one finishes the work. Running it again, or on two workers at once, changes
nothing more: the state changes are compare-and-set on the state and the deadline, and a
reminder is unique per order, deadline and day.

The worker runs it every few minutes; `repaircenter sweep` runs it once.
"""

import datetime
import logging
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from repaircenter.centers.models import Center
from repaircenter.core.calendar import center_timezone, days_later
from repaircenter.core.models import CenterSettings, parse_reminder_days

from . import workflow
from .events import announce_deadline_near
from .states import READY_STATES, Status

log = logging.getLogger("repaircenter.worker")


@dataclass(frozen=True)
class SweepResult:
    lapsed: int
    decision_reminders: int
    storage_reminders: int
    disposal_due: int

    def __bool__(self) -> bool:
        return any((self.lapsed, self.decision_reminders, self.storage_reminders,
                    self.disposal_due))


@transaction.atomic
def queue_reminders(
    *, event: str, statuses: tuple[str, ...], deadline_field: str, days: list[int],
    now: datetime.datetime, zones: list[tuple[zoneinfo.ZoneInfo, list[int] | None]],
) -> int:
    """Reminders of the deadline `deadline_field`, `days` before it.

    The reminder of N days goes once the deadline is N days away or nearer, and not yet as near
    as the next, shorter reminder: a worker that was down for ten days sends, when it starts,
    the reminder whose day passed meanwhile (once), and a worker down so long that two reminder
    days passed sends only the nearer one, rather than two at the same moment."""
    sent = 0
    days = sorted(days, reverse=True)
    for zone, center_ids in zones:
        for index, before in enumerate(days):
            nearer = days[index + 1] if index + 1 < len(days) else 0
            sent += announce_deadline_near(
                event=event, statuses=statuses, deadline_field=deadline_field,
                days_before=before, due_by=days_later(now, before, zone),
                later_than=days_later(now, nearer, zone), now=now, center_ids=center_ids,
            )
    return sent


def centers_by_zone() -> list[tuple[zoneinfo.ZoneInfo, list[int] | None]]:
    """The centers grouped by time zone, as "N days before" means N days on the center's own
    calendar; one group of every center (None) when they share one zone."""
    zones: dict[str, list[int]] = {}
    for pk, zone in Center.objects.values_list("pk", "time_zone").order_by("pk"):
        zones.setdefault(zone, []).append(pk)
    if len(zones) <= 1:
        return [(zoneinfo.ZoneInfo(zone), None) for zone in zones] or [(center_timezone(), None)]
    return [(zoneinfo.ZoneInfo(zone), ids) for zone, ids in zones.items()]


def reminder_days(center: CenterSettings, name: str) -> list[int]:
    """The manager's reminder days; the defaults if the stored text is unreadable (edited
    around the form that checks it), so that the sweep still runs."""
    try:
        return parse_reminder_days(getattr(center, name))
    except ValidationError:
        log.error("sweep: center settings %s=%r unreadable; using the defaults", name,
                  getattr(center, name))
        return parse_reminder_days(CenterSettings._meta.get_field(name).default)


def run_sweep(*, now: datetime.datetime | None = None) -> SweepResult:
    """One sweep of every deadline, as of `now`."""
    now = now or timezone.now()
    center = CenterSettings.load()
    zones = centers_by_zone()
    lapsed = workflow.lapse_decisions(now=now)
    decision_reminders = queue_reminders(
        event="decision_reminder", statuses=(Status.AWAITING_DECISION,),
        deadline_field="decision_due", days=reminder_days(center, "decision_reminder_days"),
        now=now, zones=zones,
    )
    storage_reminders = queue_reminders(
        event="storage_reminder", statuses=READY_STATES, deadline_field="storage_due",
        days=reminder_days(center, "storage_reminder_days"), now=now, zones=zones,
    )
    disposal_due = workflow.mark_disposals_due(now=now)
    return SweepResult(lapsed, decision_reminders, storage_reminders, disposal_due)
