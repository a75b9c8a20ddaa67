"""Shared fixtures: a user for each role, a customer, and an order in any state.

Orders are moved into their state through the workflow functions, never by setting `status`.
"""

import datetime
import html
import os
import re
import sqlite3
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import timezone

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.customers.models import Customer
from repaircenter.orders import estimates, workflow
from repaircenter.orders.models import EquipmentKind, EventChannel, Order, Status
from repaircenter.orders.workflow import Actor, EquipmentDetails

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, first_name=username.title())
    # get_or_create: a transactional test's flush may have removed the migrated groups.
    user.groups.add(*[Group.objects.get_or_create(name=role)[0] for role in roles])
    return user


@pytest.fixture
def receptionist(db):
    return make_user("rita", Role.RECEPTIONIST)


@pytest.fixture
def technician(db):
    return make_user("tom", Role.TECHNICIAN)


@pytest.fixture
def consultant(db):
    return make_user("connie", Role.CONSULTANT)


@pytest.fixture
def cashier(db):
    return make_user("cass", Role.CASHIER)


@pytest.fixture
def manager(db):
    return make_user("maria", Role.MANAGER)


@pytest.fixture
def users_by_role(receptionist, technician, consultant, cashier, manager):
    return {
        Role.RECEPTIONIST: receptionist,
        Role.TECHNICIAN: technician,
        Role.CONSULTANT: consultant,
        Role.CASHIER: cashier,
        Role.MANAGER: manager,
    }


@pytest.fixture
def customer(db):
    return Customer.objects.create(
        name="Alice Brown", phone="+442079460101", email="alice@example.com",
        preferred_channels=["sms", "email"],
    )


@pytest.fixture
def phone_kind(db):
    return EquipmentKind.objects.get_or_create(name="Phone")[0]


@pytest.fixture
def east(db):
    """A chain of two centers: the first (the migrations'), renamed East…"""
    from repaircenter.centers.models import Center

    center = Center.default()
    Center.objects.filter(pk=center.pk).update(name="East")
    center.refresh_from_db()
    return center


@pytest.fixture
def west(db):
    """…and West, the chain's other shop (prefix W)."""
    from repaircenter.centers.models import Center

    return Center.objects.create(name="West", number_prefix="W", time_zone="Europe/London")


def take_in(actor_user, customer, *, serial="R5CW31ABCDE", imei="", **kwargs):
    kind = EquipmentKind.objects.get_or_create(name="Phone")[0]
    return workflow.take_in(
        actor=Actor.staff(actor_user),
        customer=workflow.CustomerDetails(
            phone=str(customer.phone), name=customer.name, email=customer.email,
            preferred_channels=tuple(customer.preferred_channels),
        ),
        equipment=EquipmentDetails(
            kind_id=kind.pk, brand="Samsung", model="Galaxy S23", serial_number=serial,
            imei=imei, condition="Scratched back", accessories="Case",
            fault="Does not charge",
        ),
        **kwargs,
    )


def write_estimate(order, user, lines=(("Replace the charging port", "1", "45.00"),),
                   repair_days=2, **details):
    """A draft estimate for `order` with `lines` of (description, quantity, unit price)."""
    actor = Actor.staff(user)
    draft = estimates.start_draft(order=order, actor=actor)
    estimates.update_details(
        estimate=draft, actor=actor, repair_days=repair_days,
        recommendation=details.get("recommendation", "Worth repairing."),
        internal_notes=details.get("internal_notes", ""),
        required_to_finish=details.get("required_to_finish", False),
    )
    for description, quantity, price in lines:
        estimates.add_line(estimate=draft, actor=actor, line_kind="work", description=description,
                           quantity=Decimal(quantity), unit_price=Decimal(price))
    return draft


def send_new_estimate(order, user, **kwargs):
    draft = write_estimate(order, user, **kwargs)
    workflow.send_estimate(order=order, actor=Actor.staff(user), estimate=draft)
    return draft


def mark_all_done(order, user) -> None:
    """Every agreed line of the order marked done, as the technician would at the bench."""
    from repaircenter.orders import repair
    from repaircenter.orders.workflow import lines_not_done

    for line in lines_not_done(order):
        repair.mark_line_done(order=order, actor=Actor.staff(user), line_id=line.pk)


def pay_balance(order, user, method="card"):
    """The customer pays what is due, if anything; returns the payment or None."""
    import uuid

    from repaircenter.billing import services
    from repaircenter.orders.dues import stored_balance_due

    balance = stored_balance_due(order)
    if balance <= 0:
        return None
    return services.record_payment(order=order, actor=Actor.staff(user), amount=balance,
                                   method=method, idempotency_key=uuid.uuid4()).payment


# The states order_in_state walks to by hand, in the order of its path.
WALKED = (Status.RECEIVED, Status.DIAGNOSING, Status.READY_UNREPAIRED, Status.AWAITING_DECISION,
          Status.APPROVED, Status.REPAIRING, Status.TESTING, Status.READY_REPAIRED, Status.ISSUED,
          Status.DISPOSAL_DUE, Status.DISPOSED)


def order_in_state(status: str, *, customer, receptionist, technician, manager,
                   center=None) -> Order:
    """An order walked through the workflow to `status`, the shortest way there (taken in at
    `center`, by default the first center). A state this
    walk does not know (a new one) is reached from the nearest it knows by the registry's
    transitions that take a note only, made by a manager."""
    if status not in WALKED:
        return _walk_on(status, customer=customer, receptionist=receptionist,
                        technician=technician, manager=manager, center=center)
    reception, tech, boss = (Actor.staff(u) for u in (receptionist, technician, manager))
    intake = take_in(receptionist, customer, center=center)
    order = intake.order
    order._pickup_code = intake.pickup_code  # for tests that issue it
    if status == Status.RECEIVED:
        return order
    workflow.start_diagnosis(order=order, actor=tech)
    if status == Status.DIAGNOSING:
        return order
    if status == Status.READY_UNREPAIRED:
        workflow.refuse(order=order, actor=reception, channel=EventChannel.PHONE,
                        evidence={"said": "No, thanks"}, note="Too expensive")
        return order
    send_new_estimate(order, technician)
    if status == Status.AWAITING_DECISION:
        return order
    workflow.approve(order=order, actor=reception, channel=EventChannel.PHONE,
                     evidence={"said": "Go ahead"})
    if status == Status.APPROVED:
        return order
    workflow.start_repair(order=order, actor=tech)
    if status == Status.REPAIRING:
        return order
    mark_all_done(order, technician)
    workflow.finish_works(order=order, actor=tech)
    if status == Status.TESTING:
        return order
    workflow.record_test(order=order, actor=tech, passed=True, note="60 min load test")
    if status == Status.READY_REPAIRED:
        return order
    if status == Status.ISSUED:
        pay_balance(order, manager)
        workflow.issue(order=order, actor=reception, pickup_code=intake.pickup_code)
        return order
    long_ago = timezone.now() - datetime.timedelta(days=400)
    workflow.start_storage_clock(order=order, reached_at=long_ago, channel=EventChannel.SYSTEM)
    workflow.mark_disposal_due(order=order)
    if status == Status.DISPOSAL_DUE:
        return order
    workflow.confirm_disposal(order=order, actor=boss, method="recycled", note="Recycled")
    assert status == Status.DISPOSED
    return order


def _walk_on(status: str, **people) -> Order:
    from repaircenter.orders.transitions import NOTE, SYSTEM, TRANSITIONS

    # Each state reached so far: the known state the way starts from, and the transitions.
    ways = {known: (known, []) for known in WALKED}
    while status not in ways:
        step = next(((source, t) for t in TRANSITIONS.values() for source in sorted(t.sources)
                     if source in ways and t.target not in ways
                     and (t.manual or t.roles == {SYSTEM})
                     and t.form == NOTE and "note" not in t.needs), None)
        assert step is not None, f"teach order_in_state the way to {status}"
        source, transition = step
        start, path = ways[source]
        ways[transition.target] = (start, [*path, transition])
    start, path = ways[status]
    order = order_in_state(start, **people)
    for transition in path:
        change = getattr(workflow, transition.function)
        if transition.manual:
            change(order=order, actor=Actor.staff(people["manager"]))
        else:  # the system's own: its function takes no actor
            change(order=order)
    return order


@pytest.fixture
def make_order(customer, receptionist, technician, manager):
    def make(status: str = Status.RECEIVED, center=None) -> Order:
        return order_in_state(
            status, customer=customer, receptionist=receptionist, technician=technician,
            manager=manager, center=center,
        )

    return make


FLASH = re.compile(r'<p class="flash flash-(\w+)"[^>]*>(.*?)</p>', re.DOTALL)


def flashes(response) -> list[tuple[str, str]]:
    """The (level, text) messages a staff page shows."""
    found = FLASH.findall(response.content.decode())
    return [(level, html.unescape(text)) for level, text in found]


# --- races on two real connections ---------------------------------------------------------

@pytest.fixture
def separate_connections(transactional_db, tmp_path):
    """Make the default database one that several connections can write to in turn."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    memory_settings = connections.settings[DEFAULT_DB_ALIAS]
    memory_wrapper = connections[DEFAULT_DB_ALIAS]
    path = tmp_path / "race.sqlite3"
    memory_wrapper.ensure_connection()
    with sqlite3.connect(path) as copy:
        memory_wrapper.connection.backup(copy)
    copy.close()
    connections.settings[DEFAULT_DB_ALIAS] = {**memory_settings, "NAME": str(path)}
    connections[DEFAULT_DB_ALIAS] = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        connections[DEFAULT_DB_ALIAS].close()
        connections.settings[DEFAULT_DB_ALIAS] = memory_settings
        connections[DEFAULT_DB_ALIAS] = memory_wrapper


def race(*prepares, timeout: float = 30):
    """Run each change in its own thread with its own connection, all at once.

    Each `prepare()` runs first in its thread (it loads the order as that person's page shows
    it) and returns the change to make; the changes start together once every thread is
    ready. Returns, per change, "ok" or the exception it raised."""
    barrier = threading.Barrier(len(prepares))
    results: list = [None] * len(prepares)

    def run(index, prepare):
        try:
            change = prepare()
            barrier.wait(timeout)
            change()
            results[index] = "ok"
        except Exception as error:  # reported to the test, which says what it expects
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, p)) for i, p in enumerate(prepares)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a thread is stuck waiting for the database"
    return results


# --- the browser tests ---------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine's network is closed: no background connections to be refused.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
TABLET = {"width": 800, "height": 1100}


def chromium_path() -> str | None:
    path = "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture
def new_page(live_server, monkeypatch):
    """Opens desktop-sized pages of Debian's Chromium, each in a context of its own (its own
    cookies: its own login). Missing Chromium skips the test, and fails it when CI=true.

    Function-scoped on purpose, and requested after the database fixtures: while Playwright's
    event loop runs, Django gives this thread another database connection, and the serialized
    rollback (which puts back the roles and equipment kinds a flush removes) would be skipped
    for the tests after the first. So the test data is made before the browser starts, and the
    browser is gone before the database is flushed.
    """
    executable = chromium_path()
    if executable is None:
        reason = "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)  # CI must never pass by skipping the browser tests
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would refuse the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        contexts = []

        def open_page(viewport=DESKTOP):
            context = browser.new_context(
                viewport=viewport, base_url=live_server.url, locale="en-GB"
            )
            context.set_default_timeout(10_000)
            contexts.append(context)
            page = context.new_page()
            # Sending an estimate, refusing, reprinting: the "are you sure?" is answered yes.
            page.on("dialog", lambda dialog: dialog.accept())
            return page

        yield open_page
        for context in contexts:
            context.close()
        browser.close()
        # The connection the test's queries opened while the event loop ran belongs to this
        # context; closed here, or PostgreSQL cannot drop the test database at the end.
        from django.db import connections

        connections.close_all()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shots(tmp_path):
    """Where screenshots go: $SCREENSHOT_DIR when set (to look at them), else tmp_path."""
    from pathlib import Path

    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_in(page, username: str) -> None:
    from django.urls import reverse
    from playwright.sync_api import expect

    page.goto(reverse("login"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(reverse("staff:home")) + "$"))


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _idle_clock_touched_rarely(settings):
    """A loaded machine can take over a minute between a query-count test's two requests; the
    idle clock's session write would then count as a query of the page."""
    settings.SESSION_TOUCH_SECONDS = 600


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the product's own language. A request leaves the language it was
    answered in active in its thread (a customer's choice, a member of staff's), as Django
    does between requests: a test calling the selectors after another test's Russian page read
    its labels in Russian."""
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_kept_fragments():
    """Each test's database starts its ids again, which a real one never does: what one test
    drew and kept (staff/history.py) must not show in the next."""
    from django.core.cache import caches

    from repaircenter.accounts.backends import forget_user
    from repaircenter.orders.workplace import forget_centers

    caches["fragments"].clear()
    forget_centers()  # the centers kept for the staff's pages
    forget_user(None)  # and the users' rows


# --- object storage: a real S3 server on loopback ---------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """moto in server mode, in a child process on 127.0.0.1: it speaks the S3 protocol over HTTP,
    and the product reaches it through boto3 as it would a real bucket (nothing is patched in
    this process). Its address, for REPAIRCENTER_S3_ENDPOINT."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed argument list
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()  # noqa: S310
            break
        except OSError:
            assert server.poll() is None, "the moto server did not start"
            assert time.monotonic() < deadline, "the moto server did not answer within 30 s"
            time.sleep(0.1)
    try:
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


S3_KEYS = {"REPAIRCENTER_S3_ACCESS_KEY": "testing-key", "REPAIRCENTER_S3_SECRET_KEY": "testing",
           "REPAIRCENTER_S3_REGION": "us-east-1"}


@pytest.fixture
def s3_bucket(s3_server, settings, monkeypatch):
    """The default storage switched to a new, empty bucket of the S3 server, configured as a
    deployment would (REPAIRCENTER_STORAGE_URL and the REPAIRCENTER_S3_* variables). Returns a
    boto3 client and the bucket's name, to look at the bucket from outside."""
    import uuid

    import boto3

    from repaircenter.settings import file_storage

    bucket = f"rc-{uuid.uuid4().hex[:12]}"
    for name, value in {**S3_KEYS, "REPAIRCENTER_S3_ENDPOINT": s3_server}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                          aws_access_key_id="testing-key", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "default": file_storage(f"s3://{bucket}/files")}
    settings.STORAGE_URL = f"s3://{bucket}/files"
    return S3Bucket(client, bucket, "files/")


class S3Bucket:
    def __init__(self, client, name: str, prefix: str):
        self.client, self.name, self.prefix = client, name, prefix

    def names(self) -> list[str]:
        """The names of the bucket's objects, without the prefix, sorted."""
        found = self.client.list_objects_v2(Bucket=self.name).get("Contents", [])
        return sorted(item["Key"].removeprefix(self.prefix) for item in found)

    def get(self, name: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=self.prefix + name)["Body"].read()

    def put(self, name: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=self.prefix + name, Body=body)
