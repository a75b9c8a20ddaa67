"""Delivering the outbox: what the worker does with each message, what a provider's delivery
report and a caller's answer do to it.

Every change of a message's status is a compare-and-set UPDATE on its current status (and, while
sending, on the claim of the worker round that holds it: core/leases.py), so two workers, a late
worker and an early delivery report never overwrite each other. The round renews its lease as it
goes, and asks before each send whether it still holds the message.
"""

import datetime
import logging
import statistics
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.core.leases import Lease
from repaircenter.customers.channels import CHANNELS
from repaircenter.orders import workflow
from repaircenter.orders.models import EventChannel

from .channels import DeliveryError, Receipt, channel_for
from .models import READY_EVENTS, DeliveryRecord, Message, MessageStatus
from .outbox import announce_failure, current_address, queue_next_channel

log = logging.getLogger("repaircenter.worker")
OUTCOME_BATCH = 20  # plain sends whose outcomes are written together
# A provider that answers within this many milliseconds (one on the local network) is sent to
# from the worker's own thread, one message after another: handing each message to a sending
# thread and back cost more than the send itself, and halved the rate (bench/worker_sms.py).
# Threads are for providers that make each send wait on the network.
FAST_SEND_MS = 5
S = MessageStatus
Outcome = DeliveryRecord.Outcome

# The channels whose delivered ready notice starts the storage clock, as the order's event
# names them.
STORAGE_CHANNELS = {
    key: EventChannel(key) for key, c in CHANNELS.items() if c.starts_storage_clock
}


class MessageConflict(Exception):
    """Someone else changed the message first; `message` says what to tell the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def masked(recipient: str) -> str:
    """The recipient as the log shows it: enough to tell messages apart, not to read a number."""
    if "@" in recipient:
        name, _at, domain = recipient.partition("@")
        return f"{name[:1]}…@{domain}"
    return recipient[:4] + "…" + recipient[-3:]


# --- the worker --------------------------------------------------------------------------------


def _due(now: datetime.datetime) -> Q:
    """Queued messages whose time has come, and sends whose worker vanished (lease over)."""
    return Q(status=S.QUEUED, next_attempt_at__lte=now) | Q(status=S.SENDING, lease_until__lt=now)


def claim_due(*, limit: int = 0, now: datetime.datetime | None = None) -> tuple[Lease, list]:
    """Take up to `limit` due messages for this round. Returns the round's lease and them.

    Abandoned sends first, then the queue, oldest first: two queries, each walking its own
    index in order, rather than one OR that sorts every due row (which made a long queue
    quadratic).
    """
    now = now or timezone.now()
    lease = Lease(Message, seconds=settings.MESSAGE_LEASE)
    batch = lease.claim(
        Message.objects.filter(status=S.SENDING, lease_until__lt=now).order_by("lease_until", "pk"),
        Message.objects.filter(status=S.QUEUED, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk"),
        due=_due(now), limit=limit or settings.MESSAGE_BATCH, now=now,
        # The recipient and text are on the row; the customer is read only for a fallback; the
        # order's center signs the message (its SMS sender name, its reply-to address).
        select_related=["order", "order__center"],
        status=S.SENDING, attempt_count=F("attempt_count") + 1,
    )
    return lease, batch


def release(messages: list[Message], lease: Lease) -> int:
    """Give back claimed messages not sent yet (the worker is stopping)."""
    return lease.release([m.pk for m in messages], status=S.QUEUED,
                         attempt_count=F("attempt_count") - 1)


@dataclass(frozen=True)
class Attempt:
    """What the channel did with one message: a receipt, or the error it raised."""

    receipt: Receipt | None
    error: DeliveryError | None
    ms: int


def send(message: Message) -> Attempt:
    """Hand one message to its channel. Runs in the sending thread while the last outcome is
    written; a channel that reads the database (email reads the center's contacts) does so on
    that thread's own connection, closed after the send."""
    started = time.monotonic()
    try:
        channel = channel_for(message.channel)
        if channel is None:
            raise DeliveryError(_("This channel is switched off."), permanent=True)
        return Attempt(channel.send(message), None, _ms(started))
    except DeliveryError as error:
        return Attempt(None, error, _ms(started))
    except Exception as error:  # a bug or an unforeseen library error: retry, and say so
        log.exception("worker: message %s: the channel raised", message.pk)
        return Attempt(None, DeliveryError(repr(error)[:500]), _ms(started))
    finally:
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()  # this thread's connections only


def record(message: Message, lease: Lease, attempt: Attempt) -> str:
    """Write what happened to a claimed message, and log it in one line."""
    if attempt.error is not None:
        outcome = _record_failure(message, lease.token, attempt.error, attempt.ms)
    else:
        outcome = _record_success(message, lease.token, attempt.receipt, attempt.ms)
    _log_send(message, attempt, outcome)
    return outcome


def _log_send(message: Message, attempt: Attempt, outcome: str) -> None:
    answer = attempt.error.answer if attempt.error is not None else attempt.receipt.answer
    log.info(
        "send message %s %s %s to %s (%s, attempt %s): %s in %s ms — %s",
        message.pk, message.channel, message.event, masked(message.recipient),
        message.order.display_number if message.order else "no order",
        message.attempt_count, outcome, attempt.ms, answer[:200],
    )


def is_plain_send(message: Message, attempt: Attempt) -> bool:
    """The channel took the message and nothing follows from it (no failure to retry or pass
    on, no delivery that starts the storage clock): the outcome can wait to be written
    together with the next few (record_plain_sends)."""
    return attempt.error is None and not (
        attempt.receipt.delivered and message.event in READY_EVENTS)


def record_plain_sends(done: list[tuple[Message, Attempt]], lease: Lease) -> None:
    """Write the outcomes of several plain sends together, then log them one line each: on
    PostgreSQL their statements go in one pipeline (one round trip instead of one per
    message), elsewhere in one transaction (one commit). Most of the worker's time on
    PostgreSQL went into waiting for each outcome's round trip (bench/worker_sms.py).

    A worker killed before this leaves those messages to be claimed again after the lease and
    sent with the same idempotency key, as for a worker killed in the middle of a send."""
    if not done:
        return
    writes = [(message, *_success_changes(attempt.receipt, attempt.ms))
              for message, attempt in done]
    if _outcome_in_one_statement():
        with connection.cursor() as cursor, connection.connection.pipeline():
            for message, changes, line in writes:
                sql, params = _outcome_statement(message, lease.token, changes, line)
                cursor.execute(sql, params)
    else:
        with transaction.atomic():
            for message, changes, line in writes:
                _write_outcome(message, lease.token, changes, line)
    for (message, attempt), (_message, _changes, line) in zip(done, writes, strict=True):
        _log_send(message, attempt, line["outcome"])
    done.clear()


def deliver(message: Message, lease: Lease) -> str:
    """Send one claimed message and record the outcome."""
    return record(message, lease, send(message))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# Writing an outcome runs once for every message sent; building its two statements through the
# ORM cost more than running them, and on PostgreSQL each round trip counts (measured with
# bench/worker_sms.py). So they are written out here, with values prepared by the model's
# fields exactly as the ORM would prepare them.


def _update_sql(message: Message, claim: str, changes: dict) -> tuple[str, list]:
    """UPDATE the message if this worker round still holds it (claimed, still sending)."""
    meta, ops = Message._meta, connection.ops
    fields = [meta.get_field(name) for name in changes]
    assignments = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in fields)
    values = [f.get_db_prep_save(changes[f.name], connection) for f in fields]
    sql = (f"UPDATE {ops.quote_name(meta.db_table)} SET {assignments} "  # noqa: S608 — names
           "WHERE id = %s AND claim = %s AND status = %s")  # from the model; values are bound
    return sql, [*values, message.pk, claim, S.SENDING]


def _insert_sql(message: Message, values: dict) -> tuple[str, list]:
    """INSERT one DeliveryRecord line for the message."""
    meta, ops = DeliveryRecord._meta, connection.ops
    values = {**values, "message": message.pk}
    fields = [meta.get_field(name) for name in values]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    params = [f.get_db_prep_save(values[f.name], connection) for f in fields]
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    return sql, params


def _outcome_in_one_statement() -> bool:
    """PostgreSQL outside a transaction: the UPDATE and the INSERT go as one statement, and
    several of them in one pipeline; elsewhere they go in a transaction."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _outcome_statement(message: Message, claim: str, changes: dict, record: dict):
    """PostgreSQL: the message's UPDATE and its history line's INSERT as one statement."""
    update, update_params = _update_sql(message, claim, changes)
    insert, insert_params = _insert_sql(message, record)
    return (f"WITH mine AS ({update} RETURNING 1), line AS ({insert}) "  # noqa: S608
            "SELECT count(*) FROM mine", [*update_params, *insert_params])


def _write_outcome(message: Message, claim: str, changes: dict, record: dict) -> bool:
    """The message's new state, if this round still holds it, and a line of its history,
    together: one statement on PostgreSQL (one round trip), one transaction elsewhere. Returns
    whether the message was still this round's to change."""
    with connection.cursor() as cursor:
        if _outcome_in_one_statement():
            cursor.execute(*_outcome_statement(message, claim, changes, record))
            return cursor.fetchone()[0] == 1
        update, update_params = _update_sql(message, claim, changes)
        insert, insert_params = _insert_sql(message, record)
        with transaction.atomic():
            cursor.execute(update, update_params)
            updated = cursor.rowcount == 1
            cursor.execute(insert, insert_params)
        return updated


def _success_changes(receipt: Receipt, ms: int) -> tuple[dict, dict]:
    """What a send the provider accepted changes on the message, and its history line."""
    now = timezone.now()
    outcome = Outcome.DELIVERED if receipt.delivered else Outcome.SENT
    changes = {"status": S.SENT, "sent_at": now, "claim": "", "lease_until": None,
               "provider_ref": receipt.provider_ref, "last_answer": receipt.answer}
    if receipt.delivered:
        changes.update(status=S.DELIVERED, delivered_at=now)
    record = {"at": now, "kind": DeliveryRecord.Kind.ATTEMPT, "outcome": outcome,
              "answer": receipt.answer, "duration_ms": ms, "by": None}
    return changes, record


def _record_success(message: Message, claim: str, receipt: Receipt, ms: int) -> str:
    changes, record = _success_changes(receipt, ms)
    # If the provider's report came first (or the lease ran out and another worker took over),
    # the message has moved on: keep the record of this attempt, change nothing else.
    if receipt.delivered and message.event in READY_EVENTS:
        with transaction.atomic():  # the storage clock starts with the delivery, or neither
            if _write_outcome(message, claim, changes, record):
                _reached(message, record["at"])
    else:
        _write_outcome(message, claim, changes, record)
    return record["outcome"]


@transaction.atomic
def _record_failure(message: Message, claim: str, error: DeliveryError, ms: int) -> str:
    now = timezone.now()
    final = error.permanent or message.attempt_count >= settings.MESSAGE_MAX_ATTEMPTS
    outcome = Outcome.FAILED if final else Outcome.RETRY
    record = {"at": now, "kind": DeliveryRecord.Kind.ATTEMPT, "outcome": outcome,
              "answer": error.answer, "duration_ms": ms, "by": None}
    if final:
        updated = _write_outcome(message, claim, {
            "status": S.FAILED, "failed_at": now, "claim": "", "lease_until": None,
            "last_answer": error.answer,
        }, record)
    else:
        updated = _write_outcome(message, claim, {
            "status": S.QUEUED, "claim": "", "lease_until": None, "last_answer": error.answer,
            "next_attempt_at": now + retry_delay(message.attempt_count),
        }, record)
    if updated and final:
        queue_next_channel(message)
        announce_failure(message, answer=error.answer, at=now)
    return outcome


def retry_delay(attempts: int, base: int | None = None) -> datetime.timedelta:
    """Exponential backoff: base, 2×base, 4×base… after the 1st, 2nd, 3rd attempt."""
    base = settings.MESSAGE_RETRY_BASE if base is None else base
    return datetime.timedelta(seconds=base * 2 ** max(attempts - 1, 0))


def _reached(message: Message, at: datetime.datetime) -> None:
    """A ready notice that reached the customer starts the storage period (the first one only;
    the workflow ignores later ones)."""
    if message.event in READY_EVENTS and message.order_id and message.channel in STORAGE_CHANNELS:
        workflow.start_storage_clock(
            order=message.order, reached_at=at, channel=STORAGE_CHANNELS[message.channel],
            note=_("%(channel)s to %(recipient)s")
            % {"channel": message.get_channel_display(), "recipient": message.recipient},
        )


def run_round(stop=None) -> int:
    """Send everything due now, batch after batch; returns how many messages were handled.
    `stop` (a threading.Event) ends the round once the sends under way are done.

    Up to MESSAGE_SEND_CONCURRENCY sends are under way at once, in threads that only talk to
    the providers; this thread writes each outcome, in the order the messages were claimed. A
    provider answering in 200 ms would otherwise hold the whole queue to five messages a second.
    Two messages to one recipient are never under way together, so they arrive in order.
    A provider that answers within FAST_SEND_MS is sent to from this thread instead (see
    there). Plain sends' outcomes are written OUTCOME_BATCH at a time (record_plain_sends).
    """
    handled = 0
    width = max(1, settings.MESSAGE_SEND_CONCURRENCY)
    inline = False  # the first batch of a round finds out how fast the providers answer
    with ThreadPoolExecutor(max_workers=width, thread_name_prefix="send") as sender:
        while not (stop and stop.is_set()):
            lease, batch = claim_due()
            if not batch:
                break
            under_way: deque = deque()
            plain: list = []
            times: list[int] = []
            for index, message in enumerate(batch):
                if stop and stop.is_set():
                    release(batch[index:], lease)
                    break
                while under_way and (
                    len(under_way) >= width
                    or any(m.recipient == message.recipient for m, _f in under_way)
                ):
                    times.append(_finish_oldest(under_way, lease, plain))
                    handled += 1
                if not lease.holds(message.pk):  # renews the lease when it runs low
                    log.warning("worker: message %s: lease lost, another worker has it",
                                message.pk)
                    continue
                if inline:
                    attempt = send(message)
                    inline = attempt.ms < FAST_SEND_MS  # slow now: the rest go to the threads
                    future = Future()
                    future.set_result(attempt)
                else:
                    future = sender.submit(send, message)
                under_way.append((message, future))
            while under_way:
                times.append(_finish_oldest(under_way, lease, plain))
                handled += 1
            record_plain_sends(plain, lease)
            inline = bool(times) and statistics.median(times) < FAST_SEND_MS
    return handled


def _finish_oldest(under_way: deque, lease: Lease, plain: list) -> int:
    """Record the oldest send under way (or keep it for record_plain_sends); returns how many
    milliseconds the send took."""
    message, future = under_way.popleft()
    attempt = future.result()
    if is_plain_send(message, attempt):
        plain.append((message, attempt))
        if len(plain) >= OUTCOME_BATCH:
            record_plain_sends(plain, lease)
    else:
        record_plain_sends(plain, lease)  # in claim order: the earlier outcomes first
        record(message, lease, attempt)
    return attempt.ms


# --- provider reports, callers' answers, staff actions -----------------------------------------


REPORT_DELIVERED = {"delivered"}
REPORT_FAILED = {"failed", "undelivered", "undeliverable", "rejected", "expired"}


@transaction.atomic
def record_report(message: Message, status: str, answer: str) -> str:
    """The SMS provider's delivery report. Returns what it did: delivered, failed or noted."""
    now = timezone.now()
    waiting = (S.SENDING, S.SENT)
    current = Message.objects.filter(pk=message.pk, status__in=waiting)
    outcome = ""
    if status in REPORT_DELIVERED and current.update(
        status=S.DELIVERED, delivered_at=now, last_answer=answer, claim="", lease_until=None
    ):
        outcome = Outcome.DELIVERED
        _reached(message, now)
    elif status in REPORT_FAILED and current.update(
        status=S.FAILED, failed_at=now, last_answer=answer, claim="", lease_until=None
    ):
        outcome = Outcome.FAILED
        queue_next_channel(message)
        announce_failure(message, answer=answer, at=now)
    DeliveryRecord.objects.create(
        message=message, at=now, kind=DeliveryRecord.Kind.REPORT,
        outcome=outcome or Outcome.SENT, answer=f"{status}: {answer}".strip(": "),
    )
    return outcome or "noted"


class CallOutcome:
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    CHOICES = (
        (REACHED, _("Reached")), (NO_ANSWER, _("No answer")), (WRONG_NUMBER, _("Wrong number"))
    )


@transaction.atomic
def record_call(message: Message, outcome: str, user, note: str = "") -> Message:
    """A caller's answer to a task in "calls to make". No answer is tried again later like any
    temporary failure; a wrong number fails the message and moves to the next channel."""
    now = timezone.now()
    waiting = Message.objects.filter(pk=message.pk, channel="phone", status=S.SENT)
    if outcome == CallOutcome.REACHED:
        updated = waiting.update(status=S.DELIVERED, delivered_at=now, last_answer=note)
        result = Outcome.DELIVERED
    elif outcome == CallOutcome.NO_ANSWER:
        final = message.attempt_count >= settings.MESSAGE_MAX_ATTEMPTS
        result = Outcome.FAILED if final else Outcome.RETRY
        if final:
            updated = waiting.update(status=S.FAILED, failed_at=now, last_answer=_("No answer"))
        else:
            updated = waiting.update(
                status=S.QUEUED, last_answer=_("No answer"),
                next_attempt_at=now + retry_delay(message.attempt_count, settings.CALL_RETRY_BASE),
            )
    elif outcome == CallOutcome.WRONG_NUMBER:
        updated = waiting.update(status=S.FAILED, failed_at=now, last_answer=_("Wrong number"))
        result = Outcome.FAILED
    else:
        raise ValueError(f"unknown call outcome {outcome!r}")
    if not updated:
        raise MessageConflict(_("This call was already recorded by someone else."))
    labels = dict(CallOutcome.CHOICES)
    DeliveryRecord.objects.create(
        message=message, at=now, kind=DeliveryRecord.Kind.CALL, outcome=result, by=user,
        answer=" — ".join(str(part) for part in (labels[outcome], note) if part),
    )
    if result == Outcome.DELIVERED:
        _reached(message, now)
    elif result == Outcome.FAILED:
        queue_next_channel(message)
        announce_failure(message, answer=labels[outcome], at=now)
    message.refresh_from_db()
    return message


@transaction.atomic
def requeue(message: Message, user) -> Message:
    """Staff send a failed message again, as a new send (a new idempotency key), to the address
    the customer has now: the reason to send again is usually a corrected number or address."""
    recipient = current_address(message)
    if not recipient:
        raise MessageConflict(
            _("The customer has no address for this channel; correct their details first.")
        )
    if not Message.objects.filter(pk=message.pk, status=S.FAILED, handled_at=None).update(
        status=S.QUEUED, next_attempt_at=timezone.now(), attempt_count=0, failed_at=None,
        key=uuid.uuid4(), recipient=recipient,
    ):
        raise MessageConflict(_("This message is no longer failed; open the list again."))
    answer = "" if recipient == message.recipient else _("now to %(to)s") % {"to": recipient}
    DeliveryRecord.objects.create(
        message=message, kind=DeliveryRecord.Kind.STAFF, outcome=Outcome.REQUEUED, by=user,
        answer=answer,
    )
    message.refresh_from_db()
    return message


@transaction.atomic
def mark_handled(message: Message, user, note: str) -> Message:
    """A failed message someone dealt with another way leaves the staff queue."""
    now = timezone.now()
    if not Message.objects.filter(pk=message.pk, status=S.FAILED, handled_at=None).update(
        handled_at=now, handled_by=user
    ):
        raise MessageConflict(_("This message was already dealt with."))
    DeliveryRecord.objects.create(
        message=message, at=now, kind=DeliveryRecord.Kind.STAFF, outcome=Outcome.HANDLED,
        by=user, answer=note,
    )
    message.refresh_from_db()
    return message
