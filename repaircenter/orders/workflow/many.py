"""Changes to many orders at once: the deadline sweep's, and a batch of disposals.

The sweep changes every order whose deadline passed in a fixed number of statements, however
many there are: an UPDATE … RETURNING per source state, whose WHERE repeats the state and the
deadline (compare-and-set: an order someone else changed first no longer matches, and of two
sweeps at once only one changes it), then one INSERT … SELECT of the events, and the
announcement of the change (the messages and webhooks it causes, written set-based too) for
exactly the orders changed, all in the caller's transaction.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.core import bulk

from ..events import announce_many
from ..models import (
    Estimate,
    EstimateStatus,
    EventChannel,
    Order,
    OrderEvent,
    PendingSupplement,
    Status,
    UnrepairedReason,
)
from ..transitions import LAPSES as LAPSE_NAMES
from ..transitions import TRANSITIONS
from .base import Actor, NotAllowed
from .decisions import LAPSED_SQL


def col(name: str) -> str:
    return bulk.column(Order, name)


def transition_many(
    name: str,
    *,
    actor: Actor,
    channel: str,
    where: str,
    params: list,
    changes: dict[str, Any],
    now: datetime.datetime,
    note: str = "",
    evidence: dict[str, Any] | None = None,
) -> list[int]:
    """Move every order in a source state of `name` matching `where` (SQL over the order's
    columns) along the transition, and write an event for each. Returns their ids."""
    transition = TRANSITIONS[name]
    if not actor.roles & transition.roles:
        raise NotAllowed(
            _("Your role does not allow this: %(action)s.") % {"action": transition.label}
        )
    assignments = [f"{col('status')} = %s", f"{col('version')} = {col('version')} + 1"]
    values = [transition.target]
    for field_name, value in changes.items():
        assignments.append(f"{col(field_name)} = %s")
        values.append(bulk.db_value(Order, field_name, value))
    changed: list[int] = []
    for source in sorted(transition.sources):
        ids = bulk.fetch_ids(
            f"UPDATE {bulk.table(Order)} SET {', '.join(assignments)} "  # noqa: S608 — names
            f"WHERE {col('status')} = %s AND ({where}) RETURNING {col('id')}",  # from models
            [*values, source, *params],
        )
        _events_for(
            ids, action=name, actor=actor, channel=channel, at=now, from_status=source,
            to_status=transition.target, note=note, evidence=evidence,
        )
        changed += ids
    announce_many(order_ids=changed, action=name, at=now, to_status=transition.target)
    return changed


def _events_for(
    ids: list[int], *, action: str, actor: Actor, channel: str, at: datetime.datetime,
    from_status: str, to_status: str, note: str, evidence: dict[str, Any] | None,
) -> None:
    if not ids:
        return
    columns = ["order", "at", "actor_kind", "actor", "channel", "action", "from_status",
               "to_status", "note", "evidence"]
    id_sql, id_params = bulk.ids_sql(ids)
    placeholders = ["%s"] * 8 + [bulk.json_sql()]
    bulk.execute(
        f"INSERT INTO {bulk.table(OrderEvent)} "  # noqa: S608 — names from the models
        f"({', '.join(bulk.column(OrderEvent, c) for c in columns)}) "
        f"SELECT changed.id, {', '.join(placeholders)} FROM ({id_sql}) changed",
        [bulk.db_value(OrderEvent, "at", at), actor.kind, actor.user.pk if actor.user else None,
         channel, action, from_status, to_status, note, json.dumps(evidence or {}), *id_params],
    )


# The lapse of a decision period, by what the order waits for a decision on.
LAPSES = tuple((name, pending) for name in sorted(LAPSE_NAMES)
               for pending in TRANSITIONS[name].pending)


@transaction.atomic
def lapse_decisions(*, now: datetime.datetime | None = None) -> int:
    """Every decision period that ended with no decision, at once: `lapse_decision` for all of
    them. Returns how many orders changed."""
    now = now or timezone.now()
    total = 0
    for name, pending in LAPSES:
        target = TRANSITIONS[name].target
        changes: dict[str, Any] = {"pending_supplement": PendingSupplement.NONE}
        if target == Status.READY_UNREPAIRED:
            changes.update(unrepaired_reason=UnrepairedReason.DECISION_LAPSED, ready_at=now)
        ids = transition_many(
            name, actor=Actor.system(), channel=EventChannel.SYSTEM, now=now, changes=changes,
            where=(f"{col('pending_supplement')} = %s AND "
                   + LAPSED_SQL.format(decision_due=col("decision_due"))),
            params=[pending, bulk.db_value(Order, "decision_due", now)],
        )
        if not ids:
            continue
        Estimate.objects.filter(
            # The ids as one bound parameter (bulk.ids_sql), not text from outside.
            status=EstimateStatus.SENT, order_id__in=RawSQL(*bulk.ids_sql(ids))  # noqa: S611
        ).update(status=EstimateStatus.LAPSED)
        total += len(ids)
    return total


@transaction.atomic
def mark_disposals_due(*, now: datetime.datetime | None = None) -> int:
    """Every order whose storage period ran out becomes due for disposal, and its customer is
    warned once. Nothing is disposed of: a manager confirms that. Returns how many changed."""
    now = now or timezone.now()
    ids = transition_many(
        "mark_disposal_due", actor=Actor.system(), channel=EventChannel.SYSTEM, now=now,
        changes={}, where=f"{col('storage_due')} <= %s",
        params=[bulk.db_value(Order, "storage_due", now)],
    )
    return len(ids)
