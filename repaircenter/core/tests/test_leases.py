"""core/leases.py on a queue of its own (a table made for these tests, so that `core` needs no
other app): claims, renewal, a lease that was lost, release, and two claimers at once on two
real connections. Runs on whichever database the suite runs on (SQLite, or PostgreSQL with
DATABASE_URL)."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, connections, models
from django.db.models import F, Q
from django.test.utils import isolate_apps
from django.utils import timezone

from repaircenter.core.leases import Lease

SECONDS = 60


@pytest.fixture(scope="module")
def Job(django_db_setup, django_db_blocker):  # noqa: N802 — a model class
    """A queue table: jobs due at `due_at`, claimed while `state` is "working"."""
    with isolate_apps("repaircenter.core"):

        class Job(models.Model):
            state = models.CharField(max_length=10, default="queued")
            due_at = models.DateTimeField(default=timezone.now)
            tries = models.PositiveSmallIntegerField(default=0)
            done_by = models.CharField(max_length=20, blank=True)
            claim = models.CharField(max_length=32, blank=True)
            lease_until = models.DateTimeField(null=True, blank=True)

            class Meta:
                app_label = "core"
                db_table = "core_test_lease_job"

    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(Job)
        yield Job
        with connection.schema_editor() as editor:
            editor.delete_model(Job)


def claim(Job, lease: Lease, *, limit: int = 10, now=None) -> list:  # noqa: N803
    """What a worker's round does: sends whose lease ran out first, then the queue."""
    now = now or timezone.now()
    return lease.claim(
        Job.objects.filter(state="working", lease_until__lt=now).order_by("lease_until", "pk"),
        Job.objects.filter(state="queued", due_at__lte=now).order_by("due_at", "pk"),
        due=Q(state="working", lease_until__lt=now) | Q(state="queued", due_at__lte=now),
        limit=limit, now=now, state="working", tries=F("tries") + 1,
    )


def lease_on(Job) -> Lease:  # noqa: N803
    return Lease(Job, seconds=SECONDS)


def jobs(Job, count: int) -> list:  # noqa: N803
    start = timezone.now() - datetime.timedelta(minutes=1)
    return [Job.objects.create(due_at=start + datetime.timedelta(milliseconds=n))
            for n in range(count)]


def test_a_claim_takes_due_rows_oldest_first_up_to_its_limit(Job, db):  # noqa: N803
    made = jobs(Job, 5)
    Job.objects.create(due_at=timezone.now() + datetime.timedelta(hours=1))  # not due yet
    first, second, third = lease_on(Job), lease_on(Job), lease_on(Job)
    now = timezone.now()
    taken = claim(Job, first, limit=3, now=now)
    assert [job.pk for job in taken] == [job.pk for job in made[:3]]
    for job in taken:
        assert (job.state, job.tries, job.claim) == ("working", 1, first.token)
        assert job.lease_until == now + datetime.timedelta(seconds=SECONDS)
    assert first.held == {job.pk for job in taken} and first.taken_over == set()
    assert [job.pk for job in claim(Job, second)] == [job.pk for job in made[3:]]
    assert claim(Job, third) == [] and third.held == set()
    assert first.token != second.token


def test_a_lease_that_ran_out_is_taken_over_and_the_late_round_acts_on_nothing(
    Job, db  # noqa: N803
):
    [job] = jobs(Job, 1)
    start = timezone.now()
    late = lease_on(Job)
    claim(Job, late, now=start)
    assert claim(Job, lease_on(Job), now=start + datetime.timedelta(seconds=SECONDS - 1)) == []
    later = start + datetime.timedelta(seconds=SECONDS + 1)
    fresh = lease_on(Job)
    [taken] = claim(Job, fresh, now=later)
    assert (taken.pk, taken.tries) == (job.pk, 2) and fresh.taken_over == {job.pk}

    # The late round wakes up: it no longer holds the job, and whatever it writes is dropped.
    assert not late.holds(job.pk, now=later)
    assert late.held == set()
    assert late.release([job.pk], state="done", done_by="late") == 0
    job.refresh_from_db()
    assert (job.state, job.claim, job.done_by) == ("working", fresh.token, "")
    assert fresh.release([job.pk], state="done", done_by="fresh") == 1
    job.refresh_from_db()
    assert (job.state, job.claim, job.lease_until, job.done_by) == ("done", "", None, "fresh")


def test_renewal_extends_the_rows_still_held_and_says_which_they_are(Job, db):  # noqa: N803
    made = jobs(Job, 3)
    lease = lease_on(Job)
    start = timezone.now()
    claim(Job, lease, now=start)
    Job.objects.filter(pk=made[1].pk).update(claim="another-round")  # taken over meanwhile
    lease.release([made[2].pk], state="done")  # finished
    later = start + datetime.timedelta(seconds=40)
    assert lease.renew(now=later) == {made[0].pk}
    until = dict(Job.objects.values_list("pk", "lease_until"))
    assert until[made[0].pk] == later + datetime.timedelta(seconds=SECONDS)
    assert until[made[1].pk] == start + datetime.timedelta(seconds=SECONDS)  # not ours to touch
    assert until[made[2].pk] is None


def test_holds_renews_only_when_less_than_the_margin_is_left(
    Job, db, django_assert_num_queries  # noqa: N803
):
    made = jobs(Job, 2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        lease = lease_on(Job)
        claim(Job, lease)
        with django_assert_num_queries(0):  # a clock comparison while the lease is young
            assert lease.holds(made[0].pk) and lease.holds(made[1].pk)
    half_gone = start + datetime.timedelta(seconds=SECONDS / 2 + 1)
    with time_machine.travel(half_gone, tick=False), django_assert_num_queries(2):
        assert lease.holds(made[0].pk)  # renewed: the UPDATE, and which rows it still holds
    assert lease.until == half_gone + datetime.timedelta(seconds=SECONDS)
    assert set(Job.objects.values_list("lease_until", flat=True)) == {lease.until}
    assert not lease.holds(made[1].pk + 100)  # never claimed


def test_release_gives_back_only_what_the_lease_still_holds(Job, db):  # noqa: N803
    made = jobs(Job, 4)
    lease = lease_on(Job)
    claim(Job, lease)
    Job.objects.filter(pk=made[3].pk).update(claim="another-round")
    gone_back = {"state": "queued", "tries": F("tries") - 1}
    assert lease.release([made[0].pk], **gone_back) == 1
    assert lease.release(**gone_back) == 2  # the rest it holds: not the one taken over
    assert lease.held == set()
    states = list(Job.objects.order_by("pk").values_list("state", "tries", "claim"))
    assert states == [("queued", 0, "")] * 3 + [("working", 1, "another-round")]
    assert lease.release(**gone_back) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_claimers_at_once_on_two_connections_never_share_a_row(Job):  # noqa: N803
    Job.objects.all().delete()  # the table is not flushed with the others
    jobs(Job, 200)
    start = threading.Barrier(2, timeout=30)
    # Each holds its first batch until the other has claimed one too: both take some, and the
    # second claim is made while the first's rows are held, whichever thread the OS runs first.
    both_hold = threading.Barrier(2, timeout=30)
    done: dict[str, list] = {"one": [], "two": []}
    errors: list = []

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                lease = lease_on(Job)
                batch = claim(Job, lease, limit=7)
                if not batch:
                    return
                if not done[name]:
                    both_hold.wait()
                for job in batch:
                    assert lease.holds(job.pk)
                    assert lease.release([job.pk], state="done", done_by=name) == 1
                    done[name].append(job.pk)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=work, args=(name,)) for name in done]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert not set(done["one"]) & set(done["two"])
    assert len(done["one"]) + len(done["two"]) == 200
    assert set(Job.objects.values_list("state", "tries")) == {("done", 1)}
    assert all(done.values()), f"both should have taken some: {done}"
    Job.objects.all().delete()
