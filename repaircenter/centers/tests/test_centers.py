"""Centers: the first one the migrations make, and an order's deadlines, papers and messages in
its own center's time zone, holidays and name."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from repaircenter.centers.models import Center, CenterHoliday
from repaircenter.conftest import take_in
from repaircenter.core.models import CenterSettings, Holiday
from repaircenter.notifications.models import Message
from repaircenter.notifications.rendering import order_context
from repaircenter.orders.models import Order, Status
from repaircenter.orders.sweep import run_sweep

UTC = datetime.UTC
LONDON = zoneinfo.ZoneInfo("Europe/London")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def london(db):
    """The center the migrations made, in the chain's zone (settings: Europe/London)."""
    return Center.default()


@pytest.fixture
def tokyo(db):
    # Tokyo keeps one offset all year: its deadlines do not move when London's clocks change.
    return Center.objects.create(name="Tokyo", address="1-1 Marunouchi, Chiyoda",
                                 hours="10:00–19:00", phone="+81 3 0000 0000",
                                 time_zone="Asia/Tokyo", number_prefix="T",
                                 sms_sender="RepairTokyo")


def test_an_install_has_one_center_that_takes_equipment_in(london):
    assert list(Center.objects.all()) == [london]
    assert london.number_prefix == "R" and london.time_zone == "Europe/London"


def test_a_workshop_takes_nothing_in(london):
    london.workshop_only = True
    london.save()
    with pytest.raises(Center.DoesNotExist):
        Center.default()


def test_two_centers_cannot_share_a_prefix(london):
    twin = Center(name="Second shop", number_prefix="R", time_zone="Europe/London")
    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert "number_prefix" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.parametrize("field, value", [
    ("number_prefix", "r"), ("number_prefix", "ABCDE"), ("number_prefix", "R1"),
    ("time_zone", "Mars/Olympus"), ("sms_sender", "A sender too long"),
])
def test_a_center_refuses_what_it_cannot_use(field, value, london):
    center = Center(name="New shop", number_prefix="N", time_zone="Europe/Paris")
    setattr(center, field, value)
    with pytest.raises(ValidationError) as refused:
        center.full_clean()
    assert field in refused.value.message_dict


def test_diagnostics_are_due_in_working_days_of_the_orders_own_center(
        london, tokyo, receptionist, customer):
    # Friday 5 June 2026, 23:30 in London is already Saturday 07:30 in Tokyo.
    friday_night = datetime.datetime(2026, 6, 5, 22, 30, tzinfo=UTC)
    in_london = take_in(receptionist, customer, center=london, now=friday_night).order
    in_tokyo = take_in(receptionist, customer, center=tokyo, now=friday_night,
                       serial="TOKYO1").order
    # Two working days from Friday: Tuesday; from Saturday: Tuesday as well, but a holiday of
    # Tokyo's own on Monday moves only Tokyo's to Wednesday.
    assert in_london.diagnosis_due == datetime.date(2026, 6, 9)
    assert in_tokyo.diagnosis_due == datetime.date(2026, 6, 9)
    CenterHoliday.objects.create(center=tokyo, date=datetime.date(2026, 6, 8), name="Closed")
    again = take_in(receptionist, customer, center=tokyo, now=friday_night, serial="T2").order
    same_day = take_in(receptionist, customer, center=london, now=friday_night, serial="L2").order
    assert again.diagnosis_due == datetime.date(2026, 6, 10)
    assert same_day.diagnosis_due == datetime.date(2026, 6, 9)
    # A holiday of the chain closes every center.
    Holiday.objects.create(date=datetime.date(2026, 6, 9), name="Chain holiday")
    third = take_in(receptionist, customer, center=london, now=friday_night, serial="L3").order
    assert third.diagnosis_due == datetime.date(2026, 6, 10)


def test_the_decision_period_ends_at_the_same_time_on_the_centers_own_clock(
        london, tokyo, make_order):
    """Six months from May cross the end of London's summer time: London's deadline keeps its
    wall-clock time (an hour later in UTC), Tokyo's keeps its UTC time too."""
    sent = datetime.datetime(2026, 5, 10, 9, 0, tzinfo=UTC)
    orders = {}
    for center in (london, tokyo):
        with time_machine.travel(sent, tick=False):
            orders[center.name] = make_order(Status.AWAITING_DECISION, center=center)
    london_due = orders[london.name].decision_due
    tokyo_due = orders[tokyo.name].decision_due
    assert london_due.astimezone(LONDON).replace(tzinfo=None) == datetime.datetime(
        2026, 11, 10, 10, 0)
    assert london_due == datetime.datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    assert tokyo_due.astimezone(TOKYO).replace(tzinfo=None) == datetime.datetime(
        2026, 11, 10, 18, 0)
    assert tokyo_due == datetime.datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def test_a_reminder_counts_its_days_on_the_orders_centers_calendar(london, tokyo, make_order):
    """The week before London's clocks go back is 169 hours there and 168 in Tokyo: a decision
    due 168½ hours from now is 7 days away in London (remind) but not yet in Tokyo."""
    now = datetime.datetime(2026, 10, 20, 12, 0, tzinfo=UTC)
    due = now + datetime.timedelta(hours=168, minutes=30)
    orders = [make_order(Status.AWAITING_DECISION, center=center) for center in (london, tokyo)]
    Order.objects.filter(pk__in=[o.pk for o in orders]).update(decision_due=due)
    CenterSettings.objects.filter(pk=1).update(decision_reminder_days="7")
    Message.objects.all().delete()

    result = run_sweep(now=now)

    reminded = set(Message.objects.filter(event="decision_reminder")
                   .values_list("order__center__name", flat=True))
    assert reminded == {london.name}
    assert result.decision_reminders == 1
    assert Order.objects.filter(status=Status.AWAITING_DECISION).count() == 2


def test_papers_messages_and_the_customers_page_show_the_orders_center(
        client, london, tokyo, receptionist, customer):
    order = take_in(receptionist, customer, center=tokyo).order
    intake_order = order.documents.get()
    assert tokyo.name in intake_order.html and tokyo.address in intake_order.html
    assert london.name not in intake_order.html

    context = order_context(Order.objects.get(pk=order.pk))
    assert context["center"]["name"] == tokyo.name
    assert context["center"]["hours"] == tokyo.hours

    page = client.get(f"/o/{order.link_token}/")
    assert page.status_code == 200
    assert tokyo.address in page.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_puts_the_orders_taken_in_before_into_a_first_center(
        receptionist, customer):
    """It takes a second or two, migrating back and forth: the only proof that an install of
    yesterday keeps its orders, contacts and time zone."""
    order = take_in(receptionist, customer).order
    executor = MigrationExecutor(connection)
    # Back to before the centers; the link's digest (0011, not reversible) stays.
    before = [("centers", None), ("orders", "0011_portal_link_digest")]
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        # The settings' table is as it was: the current model writes it.
        CenterSettings.objects.update_or_create(
            pk=1, defaults={"name": "Old Shop", "address": "1 High Street",
                            "phone": "01234", "email": "shop@example.com", "hours": "9–5"})
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(latest)
    first = Center.objects.get()
    assert (first.name, first.address, first.phone, first.email, first.hours) == (
        "Old Shop", "1 High Street", "01234", "shop@example.com", "9–5")
    assert (first.number_prefix, first.time_zone) == ("R", "Europe/London")
    assert Order.objects.get(pk=order.pk).center == first


def test_each_center_counts_its_own_orders_with_its_prefix(london, tokyo, receptionist,
                                                            customer):
    made = [take_in(receptionist, customer, center=c, serial=f"S{i}").order
            for i, c in enumerate((london, tokyo, tokyo, london, tokyo))]
    assert [o.display_number for o in made] == [
        "R-000001", "T-000001", "T-000002", "R-000002", "T-000003"]
    # The chain-wide number keeps the pages' and the API's addresses apart.
    assert [o.number for o in made] == [1, 2, 3, 4, 5]
    assert str(made[1]) == "T-000001"


def test_a_renamed_prefix_leaves_the_printed_numbers_as_they_were(tokyo, receptionist,
                                                                  customer):
    first = take_in(receptionist, customer, center=tokyo).order
    tokyo.number_prefix = "TK"
    tokyo.save()
    second = take_in(receptionist, customer, center=tokyo, serial="S2").order
    first.refresh_from_db()
    assert (first.display_number, second.display_number) == ("T-000001", "TK-000002")


def test_the_search_finds_a_number_as_printed_by_its_center(london, tokyo, receptionist,
                                                            customer):
    from repaircenter.orders.selectors import search_orders

    in_london = take_in(receptionist, customer, center=london).order
    in_tokyo = take_in(receptionist, customer, center=tokyo, serial="S2").order
    def found(text):
        return [row.number for row in search_orders(text)]

    assert found("T-000001") == [in_tokyo.number]
    assert found("r-1") == [in_london.number]
    assert set(found("000001")) == {in_london.number, in_tokyo.number}
    assert found("X-000001") == []


def test_the_public_look_up_takes_the_number_as_printed(client, tokyo, receptionist, customer):
    order = take_in(receptionist, customer, center=tokyo).order
    Message.objects.all().delete()
    for typed, sent in (("R-000001", 0), ("T-000001", 1)):
        client.post("/find/", {"number": typed, "phone": str(customer.phone), "website": ""})
        assert Message.objects.filter(order=order, event="link_resent").count() == sent, typed


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_intakes_at_once_number_each_center_without_gaps_or_twins(
        separate_connections, london, tokyo, receptionist, customer):
    """Four receptionists at two counters press "take in" at the same moment."""
    from repaircenter.conftest import race

    def intake(center, serial):
        return lambda: (lambda: take_in(receptionist, customer, center=center, serial=serial))

    results = race(*(intake(c, f"S{i}") for i, c in enumerate((london, tokyo) * 2)))
    assert results == ["ok"] * 4
    numbers = sorted(Order.objects.values_list("number_prefix", "center_number"))
    assert numbers == [("R", 1), ("R", 2), ("T", 1), ("T", 2)]
