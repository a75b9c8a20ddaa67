"""Posting webhook deliveries: what the worker does each round.

As with the messages' outbox, a delivery is claimed with the lease of every worker queue
(core/leases.py): a compare-and-set UPDATE (it must still be due: queued and its time come, or
sending with its lease over), so two workers never post one delivery at once, and a worker that
dies mid-send leaves it to be claimed again once the lease has run out. The round renews its
lease while it works through a batch, asks before each post whether it still holds the
delivery, and writes every outcome only while it does.

The policy (README "Webhooks"):
- a 2xx answer: delivered;
- no answer within WEBHOOK_TIMEOUT, no connection, 408, 429 or 5xx: temporary; tried again after
  WEBHOOK_RETRY_BASE seconds, doubling up to WEBHOOK_RETRY_MAX, until WEBHOOK_RETRY_WINDOW (a
  day) after the delivery's first failure, then failed for good;
- any other answer (3xx: redirects are not followed; 4xx): permanent, the receiver refused this
  request and would refuse it again: failed at once;
- an endpoint whose every attempt has failed for WEBHOOK_RETRY_WINDOW is disabled, its queued
  deliveries fail, and every manager is told (email through the email channel; the admin lists
  it as disabled, with the reason, until a manager enables it again).
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.core.leases import Lease

from . import signing
from .addresses import pinned
from .models import Attempt, Delivery, DeliveryStatus, Endpoint
from .outbox import fill_payloads

log = logging.getLogger("repaircenter.worker")
S = DeliveryStatus
TEMPORARY_STATUSES = frozenset({408, 429})
EXCERPT = 500
USER_AGENT = "RepairCenter-Webhooks/1"


# --- claiming ------------------------------------------------------------------------------------


def _lease_over(now: datetime.datetime) -> Q:
    return Q(status=S.SENDING, lease_until__lt=now)


def _queued_due(now: datetime.datetime) -> Q:
    return Q(status=S.QUEUED, next_attempt_at__lte=now, endpoint__active=True)


def new_lease() -> Lease:
    """A round's lease. It is renewed while more than one post's time is left, so that a post
    started under it ends within it."""
    return Lease(Delivery, seconds=settings.WEBHOOK_LEASE, margin=settings.WEBHOOK_TIMEOUT + 1)


def claim_due(*, limit: int = 0, now: datetime.datetime | None = None) -> tuple[Lease, list]:
    """Take up to `limit` due deliveries for this round: abandoned sends first, then the queue,
    oldest first. Returns the round's lease and them, with their endpoint, and a payload (made
    now for the sweep's deliveries)."""
    now = now or timezone.now()
    lease = new_lease()
    with transaction.atomic():
        batch = lease.claim(
            Delivery.objects.filter(_lease_over(now)).order_by("lease_until", "pk"),
            Delivery.objects.filter(_queued_due(now)).order_by("next_attempt_at", "pk"),
            due=_lease_over(now) | _queued_due(now), limit=limit or settings.WEBHOOK_BATCH,
            now=now, select_related=["endpoint", "order_event__order"],
            status=S.SENDING, attempt_count=F("attempt_count") + 1,
        )
        # A send whose worker vanished left no answer: say so in its history.
        Attempt.objects.bulk_create(
            Attempt(delivery=d, at=now, error=_("No answer recorded: the worker stopped or took "
                                                "too long; sent again."))
            for d in batch if d.pk in lease.taken_over
        )
        fill_payloads(batch)
    return lease, batch


def release(deliveries: list[Delivery], lease: Lease) -> int:
    """Give back claimed deliveries not posted yet (the worker is stopping)."""
    return lease.release([d.pk for d in deliveries], status=S.QUEUED,
                         attempt_count=F("attempt_count") - 1)


# --- posting -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """What one POST got: an HTTP status and the start of the answer, or an error."""

    http_status: int | None = None
    response: str = ""
    error: str = ""
    permanent: bool = False
    ms: int = 0

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    @property
    def answer(self) -> str:
        if self.http_status is not None:
            return f"HTTP {self.http_status} {self.response}".strip()[:300]
        return self.error[:300]


def body_of(delivery: Delivery) -> bytes:
    """The JSON body: the same bytes on every attempt (keys sorted, no spaces)."""
    return json.dumps(delivery.payload, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def headers_for(delivery: Delivery, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-RepairCenter-Delivery": str(delivery.pk),
        "X-RepairCenter-Event": delivery.event,
        "X-RepairCenter-Timestamp": str(timestamp),
        "X-RepairCenter-Signature": signing.sign(delivery.endpoint.secret, timestamp, body),
    }


class PinnedAdapter(requests.adapters.HTTPAdapter):
    """Connects to the address in the URL (the checked one, addresses.pinned) and, over HTTPS,
    sends the Host header's name in the TLS handshake and checks the certificate against it."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        host = request.headers.get("Host")
        if host and host_params["scheme"] == "https":
            name = urlsplit(f"//{host}").hostname
            pool_kwargs["server_hostname"] = pool_kwargs["assert_hostname"] = name
        return host_params, pool_kwargs


def new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # proxies are read per URL in post(); no .netrc credentials
    session.mount("https://", PinnedAdapter())
    session.mount("http://", PinnedAdapter())
    return session


def post(delivery: Delivery, session: requests.Session | None = None) -> Result:
    """POST one delivery to its endpoint, signed, at the address that was checked; never
    raises."""
    started = time.monotonic()
    url = delivery.endpoint.url
    try:
        target, host = pinned(url)
    except ValidationError as error:
        return Result(error=_("Address refused: %(why)s") % {"why": " ".join(error.messages)},
                      permanent=True)
    body = body_of(delivery)
    session = session or new_session()
    try:
        response = session.post(
            target, data=body,
            headers={**headers_for(delivery, body, int(time.time())), "Host": host},
            timeout=settings.WEBHOOK_TIMEOUT, allow_redirects=False, stream=True,
            proxies=requests.utils.get_environ_proxies(url),
        )
        with response:
            excerpt = next(response.iter_content(EXCERPT * 4), b"")
    except requests.Timeout:
        return Result(error=_("No answer within %(seconds)s s") % {
            "seconds": settings.WEBHOOK_TIMEOUT}, ms=_ms(started))
    except requests.RequestException as error:
        return Result(error=_("Could not connect: %(error)s") % {
            "error": error.__class__.__name__}, ms=_ms(started))
    status = response.status_code
    temporary = status >= 500 or status in TEMPORARY_STATUSES
    return Result(
        http_status=status, response=excerpt.decode(errors="replace")[:EXCERPT],
        permanent=not (200 <= status < 300) and not temporary, ms=_ms(started),
    )


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


# --- recording -----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> datetime.timedelta:
    """WEBHOOK_RETRY_BASE seconds after the first attempt, doubling, at most WEBHOOK_RETRY_MAX."""
    seconds = settings.WEBHOOK_RETRY_BASE * 2 ** min(max(attempts - 1, 0), 30)
    return datetime.timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX))


def window() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW)


@transaction.atomic
def record(delivery: Delivery, lease: Lease, result: Result,
           now: datetime.datetime | None = None) -> str:
    """Write the attempt, and the delivery's new state if this round still holds it. Returns
    the outcome: delivered, retry, failed (or the outcome with `late` when another worker had
    taken the delivery over)."""
    now = now or timezone.now()
    Attempt.objects.create(
        delivery=delivery, at=now, http_status=result.http_status, error=result.error[:300],
        response=result.response, duration_ms=result.ms,
    )
    endpoint = delivery.endpoint
    if result.ok:
        outcome = "delivered"
        updated = lease.release([delivery.pk], status=S.DELIVERED, delivered_at=now,
                                last_answer=result.answer)
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=False).update(
            failing_since=None)
    else:
        Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now)
        active = still_active(endpoint, now=now, answer=result.answer)
        first = delivery.first_failure_at or now
        # No retry to a disabled endpoint: it would wait in the queue for nothing.
        final = result.permanent or now >= first + window() or not active
        outcome = "failed" if final else "retry"
        changes = {"first_failure_at": first, "last_answer": result.answer}
        if final:
            changes.update(status=S.FAILED, failed_at=now)
        else:
            changes.update(status=S.QUEUED, next_attempt_at=min(
                now + retry_delay(delivery.attempt_count), first + window()))
        updated = lease.release([delivery.pk], **changes)
    log.info("webhook %s %s to %s (attempt %s): %s in %s ms — %s", delivery.event, delivery.pk,
             endpoint.url, delivery.attempt_count, outcome if updated else f"{outcome}, late",
             result.ms, result.answer[:200])
    return outcome if updated else f"{outcome} late"


def still_active(endpoint: Endpoint, *, now: datetime.datetime, answer: str) -> bool:
    """Whether `endpoint` is still active after a failed attempt: it is disabled here if every
    attempt to it has failed for a whole window; then its queued deliveries fail, and the
    managers are told once the change is committed."""
    state = Endpoint.objects.filter(pk=endpoint.pk).values("active", "failing_since").first()
    if state is None or not state["active"]:
        return False
    since = state["failing_since"]
    if since is None or since > now - window():
        return True
    text = _(
        "Every delivery failed from %(since)s to %(now)s (the last answer: %(answer)s)."
    ) % {"since": _when(since), "now": _when(now), "answer": answer or "—"}
    if not Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
        active=False, disabled_at=now, disabled_reason=text
    ):
        return False  # another worker disabled it a moment ago
    Delivery.objects.filter(endpoint=endpoint, status=S.QUEUED).update(
        status=S.FAILED, failed_at=now, last_answer=_("Not sent: the endpoint was disabled."))
    endpoint.active, endpoint.disabled_at, endpoint.disabled_reason = False, now, text
    log.warning("webhook endpoint %s (%s) disabled: %s", endpoint.pk, endpoint.url, text)
    transaction.on_commit(lambda: tell_managers(endpoint))
    return False


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def tell_managers(endpoint: Endpoint) -> int:
    """An email to every active manager with an address, through the email channel (the
    outbox holds only messages to customers). Returns how many went; a failure is logged, and
    the admin's list of endpoints shows the disabled one whatever happens here."""
    from repaircenter.accounts.models import User
    from repaircenter.accounts.roles import Role
    from repaircenter.notifications.channels import DeliveryError, channel_for
    from repaircenter.notifications.models import Message

    channel = channel_for("email")
    if channel is None:
        log.warning("webhook endpoint %s disabled; the email channel is off", endpoint.pk)
        return 0
    subject = _("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url}
    body = _(
        "The webhook endpoint %(url)s was disabled at %(at)s.\n\n%(reason)s\n\nIts queued "
        "deliveries were not sent. When the receiver works again, enable the endpoint in the "
        "admin (Webhooks, Webhook endpoints) and send it a test event.\n"
    ) % {"url": endpoint.url, "at": _when(endpoint.disabled_at), "reason":
         endpoint.disabled_reason}
    sent = 0
    managers = User.objects.filter(is_active=True, groups__name=Role.MANAGER).exclude(email="")
    for email in managers.values_list("email", flat=True).distinct():
        notice = Message(channel="email", recipient=email, subject=subject, body=body)
        try:
            channel.send(notice)
        except DeliveryError as error:
            log.error("webhook endpoint %s disabled; telling %s failed: %s", endpoint.pk, email,
                      error.answer)
        else:
            sent += 1
    return sent


# --- the worker's round --------------------------------------------------------------------------


def defer(deliveries: list[Delivery], lease: Lease, until: datetime.datetime) -> int:
    """Give back claimed deliveries unposted, due again at `until` (their endpoint has just
    failed: they wait for its next try rather than each waiting for a timeout now)."""
    return lease.release([d.pk for d in deliveries], status=S.QUEUED, next_attempt_at=until,
                         attempt_count=F("attempt_count") - 1)


def drop(deliveries: list[Delivery], lease: Lease) -> int:
    """Claimed deliveries of an endpoint disabled meanwhile fail unposted, as its queued ones
    did when it was disabled."""
    return lease.release([d.pk for d in deliveries], status=S.FAILED,
                         failed_at=timezone.now(), attempt_count=F("attempt_count") - 1,
                         last_answer=_("Not sent: the endpoint was disabled."))


def run_round(stop=None) -> int:
    """Post everything due now, batch after batch; returns how many deliveries were posted.
    `stop` (a threading.Event) ends the round after the POST under way.

    An endpoint that fails temporarily (no answer, 5xx) is not tried again in this round: its
    other deliveries wait as long as the failed one, so that one receiver that is down costs a
    round one timeout, not one per delivery, and the others' deliveries are not held up."""
    handled = 0
    resting: dict[int, datetime.datetime] = {}  # endpoint → when it may be tried again
    disabled: set[int] = set()  # endpoints this round disabled
    with new_session() as session:
        while not (stop and stop.is_set()):
            lease, batch = claim_due()
            if not batch:
                break
            for index, delivery in enumerate(batch):
                if stop and stop.is_set():
                    release(batch[index:], lease)
                    break
                if delivery.endpoint_id in disabled:
                    drop([delivery], lease)
                    continue
                until = resting.get(delivery.endpoint_id)
                if until is not None:
                    defer([delivery], lease, until)
                    continue
                if not lease.holds(delivery.pk):  # renews the lease when it runs low
                    log.warning("webhook %s: lease lost, another worker has it", delivery.pk)
                    continue
                result = post(delivery, session)
                outcome = record(delivery, lease, result)
                if not delivery.endpoint.active:  # this failure disabled it
                    disabled.add(delivery.endpoint_id)
                elif outcome == "retry":
                    resting[delivery.endpoint_id] = timezone.now() + retry_delay(
                        delivery.attempt_count)
                handled += 1
    return handled
