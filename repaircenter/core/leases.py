"""One lease for every worker queue: messages, webhook deliveries and PDFs (ARCHITECTURE rule 11).

A worker round claims due rows with a compare-and-set UPDATE that repeats the due condition and
writes a random token (`claim`) and the time the claim lasts until (`lease_until`); on
PostgreSQL the candidate ids are first read with SELECT … FOR UPDATE SKIP LOCKED, so two workers
claiming at once pass each other by. Everything the round writes afterwards (an outcome, a
renewal, a release) is a compare-and-set on the token: once another worker has taken a row over,
the token no longer matches and the late round changes nothing.

Renewal. The round asks `holds(pk)` before it acts on each row (a send, a post). When less than
`margin` seconds of the lease are left, that question first renews the lease of every row the
round still holds (one UPDATE on the token), and the answer comes from the database: a row
another worker took over is left alone. So a live worker keeps its rows however long a batch
takes (a provider answering in 600 ms instead of 6 makes a batch ten times longer), and a worker
that died or hangs loses them after `seconds`.
Why this, rather than
- a background heartbeat: no extra thread and database connection, and the lease stays honest:
  a worker stuck in one step loses the rows it has not started instead of keeping them alive;
- batches small enough never to expire: a batch's time is the providers', not ours, and small
  batches cost a claim every few rows.
The one rule it needs: a single step (a send, with its channel's timeout) must take less than
`margin`, half the lease unless the caller says otherwise; a step that outlasts the lease may be
taken over while under way, and then the provider's idempotency key is what saves the day.

`core` imports no other app: the helper works on any model with a token and a time field.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone


class Lease:
    """One worker round's hold on some rows of `model`."""

    def __init__(self, model: type[models.Model], *, seconds: float, margin: float | None = None,
                 claim_field: str = "claim", until_field: str = "lease_until"):
        self.model = model
        self.seconds = datetime.timedelta(seconds=seconds)
        self.margin = self.seconds / 2 if margin is None else datetime.timedelta(seconds=margin)
        self.claim_field, self.until_field = claim_field, until_field
        self.token = uuid.uuid4().hex
        self.until: datetime.datetime | None = None
        self.held: set = set()  # the rows this lease held when last it looked
        self.taken_over: set = set()  # rows claimed from a lease that had run out

    def __repr__(self) -> str:
        return f"<Lease {self.token[:8]} on {len(self.held)} {self.model.__name__}>"

    def claim(self, *candidates: models.QuerySet, due: models.Q, limit: int,
              now: datetime.datetime | None = None, select_related: Iterable[str] = (),
              **changes) -> list:
        """Claim up to `limit` rows and return them, in order.

        `candidates` are querysets of due rows, each in the order to take them, read in turn
        until `limit` is reached; `due` is the condition they meet, repeated in the UPDATE so
        that a row another worker claimed in between is not taken twice. `changes` are written
        with the claim (a status, an attempt count)."""
        now = now or timezone.now()
        found: list[tuple] = []
        with transaction.atomic():
            for queryset in candidates:
                if len(found) >= limit:
                    break
                found += (queryset.select_for_update(skip_locked=True, of=("self",))
                          .values_list("pk", self.claim_field)[: limit - len(found)])
            if not found:
                return []
            ids = [pk for pk, _claim in found]
            self.until = now + self.seconds
            self.model._default_manager.filter(due, pk__in=ids).update(
                **{self.claim_field: self.token, self.until_field: self.until}, **changes)
        rows = self.model._default_manager.filter(
            pk__in=ids, **{self.claim_field: self.token}).select_related(*select_related)
        position = {pk: index for index, pk in enumerate(ids)}
        rows = sorted(rows, key=lambda row: position[row.pk])
        self.held = {row.pk for row in rows}
        self.taken_over = {pk for pk, claim in found if claim} & self.held
        return rows

    def mine(self, pks: Iterable | None = None) -> models.QuerySet:
        """The rows this lease still holds (of `pks`, or of all it claimed)."""
        pks = self.held if pks is None else pks
        return self.model._default_manager.filter(pk__in=list(pks),
                                                  **{self.claim_field: self.token})

    def renew(self, now: datetime.datetime | None = None) -> set:
        """Extend the lease of the rows still held; returns which they are."""
        until = (now or timezone.now()) + self.seconds
        if self.mine().update(**{self.until_field: until}):
            self.held = set(self.mine().values_list("pk", flat=True))
        else:
            self.held = set()
        self.until = until
        return self.held

    def holds(self, pk, now: datetime.datetime | None = None) -> bool:
        """Whether the round may act on row `pk` now: ask before each send. Renews the lease
        first when less than `margin` of it is left."""
        now = now or timezone.now()
        if self.until is None or self.until - now < self.margin:
            self.renew(now)
        return pk in self.held

    def release(self, pks: Iterable | None = None, **changes) -> int:
        """Let go of rows (of `pks`, or all still held) with `changes` written with them: an
        outcome, or the state to go back to (the worker is stopping). Only where this lease
        still holds them; returns how many."""
        pks = set(self.held if pks is None else pks)
        released = self.mine(pks).update(
            **{self.claim_field: "", self.until_field: None}, **changes)
        self.held -= pks
        return released
