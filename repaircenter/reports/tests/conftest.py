"""A small fixed data set for the reports, made through the workflow under a controlled clock,
with figures worked out by hand (in the tests that use it).

March 2027 in London (GMT all month but its last four days). The orders:

    order  kind    received          diagnostics ended         decision      ready      issued
    A      laptop  1 Mar 09:00       (refused while diagnosing)              2 Mar 09h
    B      laptop  1 Mar 09:00       (refused while diagnosing)              3 Mar 09h
    C      phone   2 Mar 10:00       (refused while diagnosing)              5 Mar 10h
    D      phone   3 Mar 10:00       (refused while diagnosing)              9 Mar 10h  13 Mar 10h
    E      phone   25 Feb 12:00      (refused while diagnosing)              26 Feb 12h 2 Mar 12h
    F      phone*  1 Mar 09:00       estimate 2 Mar (due 3)    approved 4 Mar, works done 10 Mar
    G      phone*  1 Mar 09:00       not repairable 3 Mar 09:00 (due 3)      3 Mar 09h
    H      phone*  1 Mar 09:00       estimate 5 Mar (due 3)    refused 8 Mar 8 Mar 09h
    L      phone   30 Aug 2026 10:00 estimate 5 Sep 2026       lapsed 5 Mar  5 Mar 10h
    M, N   phone   5 Jan 2026, ready the same day, reached 6 Jan, due for disposal 7 Jul 2026;
                   M disposed of (recycled) on 20 Mar 2027, N still due.

(* the customer of F, G and H is told by email; the others by SMS.) A laptop's diagnostics fee
is 40.00, a phone's 25.00. The messages are sent on 1 April, with the SMS channel switched off:
the SMS fail (and the news goes by email, in April); the emails are delivered.

Payments (all taken by the manager): E 25.00 on Tuesday 2 March, F 20.00 (a prepayment) on
Friday 5 March, C 25.00 on Monday 8 March, D 25.00 on Saturday 13 March; 10.00 refunded to C
on Monday 22 March; B 25.00 on 2 April.
"""

import datetime
import uuid
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from repaircenter.billing import services as billing
from repaircenter.conftest import mark_all_done, send_new_estimate
from repaircenter.customers.models import Customer
from repaircenter.notifications import delivery, outbox
from repaircenter.orders import workflow
from repaircenter.orders.models import EquipmentKind, EventChannel, Order
from repaircenter.orders.sweep import run_sweep
from repaircenter.orders.workflow import Actor, EquipmentDetails

LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def _center_in_london(settings):
    settings.TIME_ZONE = "Europe/London"


class DataSet:
    def __init__(self, receptionist, technician, manager, customer):
        self.reception = Actor.staff(receptionist)
        self.tech = Actor.staff(technician)
        self.technician = technician
        self.boss = Actor.staff(manager)
        self.sms_customer = customer
        self.email_customer = Customer.objects.create(
            name="Bob Green", phone="+442079460202", email="bob@example.com",
            preferred_channels=["email"],
        )
        self.laptop = EquipmentKind.objects.get_or_create(name="Laptop")[0]
        self.phone = EquipmentKind.objects.get_or_create(name="Phone")[0]
        EquipmentKind.objects.filter(pk=self.laptop.pk).update(diagnostics_fee=Decimal("40.00"))
        EquipmentKind.objects.filter(pk=self.phone.pk).update(diagnostics_fee=Decimal("25.00"))
        self.orders: dict[str, Order] = {}
        self.codes: dict[str, str] = {}

    def take_in(self, name, moment, kind, customer=None):
        customer = customer or self.sms_customer
        with time_machine.travel(moment, tick=False):
            result = workflow.take_in(
                actor=self.reception,
                customer=workflow.CustomerDetails(
                    phone=str(customer.phone), name=customer.name, email=customer.email,
                    preferred_channels=tuple(customer.preferred_channels)),
                equipment=EquipmentDetails(
                    kind_id=kind.pk, brand="Acme", model=name, serial_number=f"SN{name}",
                    imei="", condition="Worn", accessories="", fault="Dead"),
            )
            workflow.start_diagnosis(order=result.order, actor=self.tech)
        self.orders[name], self.codes[name] = result.order, result.pickup_code
        return result.order

    def at(self, moment, change):
        with time_machine.travel(moment, tick=False):
            change()

    def refuse(self, name, moment):
        self.at(moment, lambda: workflow.refuse(
            order=self.fresh(name), actor=self.reception, channel=EventChannel.PHONE,
            evidence={"said": "Not worth it"}, note="Too dear"))

    def pay(self, name, moment, amount, method="cash"):
        self.at(moment, lambda: billing.record_payment(
            order=self.fresh(name), actor=self.boss, amount=Decimal(amount), method=method,
            idempotency_key=uuid.uuid4()))

    def refund(self, name, moment, amount):
        self.at(moment, lambda: billing.record_refund(
            order=self.fresh(name), actor=self.boss, amount=Decimal(amount), method="cash",
            reason="Charged twice for the cable check", idempotency_key=uuid.uuid4()))

    def issue(self, name, moment):
        self.at(moment, lambda: workflow.issue(
            order=self.fresh(name), actor=self.reception, pickup_code=self.codes[name]))

    def send_estimate(self, name, moment):
        self.at(moment, lambda: send_new_estimate(self.fresh(name), self.technician))

    def fresh(self, name) -> Order:
        return Order.objects.get(pk=self.orders[name].pk)


@pytest.fixture
def march(receptionist, technician, manager, customer, settings):
    data = DataSet(receptionist, technician, manager, customer)
    laptop, phone, by_email = data.laptop, data.phone, data.email_customer

    # M and N: in storage since January 2026, due for disposal in July.
    for name in ("M", "N"):
        data.take_in(name, at(2026, 1, 5, 10, 0), phone)
        data.at(at(2026, 1, 5, 10, 0), lambda n=name: workflow.declare_not_repairable(
            order=data.fresh(n), actor=data.tech, note="Water damage"))
        workflow.start_storage_clock(order=data.fresh(name), reached_at=at(2026, 1, 6, 10, 0),
                                     channel=EventChannel.SMS)
    run_sweep(now=at(2026, 7, 7, 10, 0))

    # L: its decision period runs from September 2026 to 5 March 2027.
    data.take_in("L", at(2026, 8, 30, 10, 0), phone)
    data.send_estimate("L", at(2026, 9, 5, 10, 0))

    data.take_in("E", at(2027, 2, 25, 12, 0), phone)
    data.refuse("E", at(2027, 2, 26, 12, 0))
    for name, received, refused, kind in (
        ("A", at(2027, 3, 1, 9, 0), at(2027, 3, 2, 9, 0), laptop),
        ("B", at(2027, 3, 1, 9, 0), at(2027, 3, 3, 9, 0), laptop),
        ("C", at(2027, 3, 2, 10, 0), at(2027, 3, 5, 10, 0), phone),
        ("D", at(2027, 3, 3, 10, 0), at(2027, 3, 9, 10, 0), phone),
    ):
        data.take_in(name, received, kind)
        data.refuse(name, refused)
    data.pay("E", at(2027, 3, 2, 11, 0), "25.00")
    data.issue("E", at(2027, 3, 2, 12, 0))
    data.pay("C", at(2027, 3, 8, 16, 0), "25.00", "card")
    data.pay("D", at(2027, 3, 13, 9, 30), "25.00")
    data.issue("D", at(2027, 3, 13, 10, 0))
    data.refund("C", at(2027, 3, 22, 10, 0), "10.00")
    data.pay("B", at(2027, 4, 2, 10, 0), "25.00")

    for name in ("F", "G", "H"):
        data.take_in(name, at(2027, 3, 1, 9, 0), phone, by_email)
    data.send_estimate("F", at(2027, 3, 2, 11, 0))
    data.at(at(2027, 3, 4, 15, 0), lambda: workflow.approve(
        order=data.fresh("F"), actor=data.reception, channel=EventChannel.PHONE,
        evidence={"said": "Yes"}))
    data.pay("F", at(2027, 3, 5, 12, 0), "20.00", "card")  # a prepayment for parts
    # F's works are finished on 10 March (its margin: 45.00 of works, no parts).
    data.at(at(2027, 3, 10, 9, 0), lambda: workflow.start_repair(order=data.fresh("F"),
                                                                 actor=data.tech))
    data.at(at(2027, 3, 10, 11, 0), lambda: mark_all_done(data.fresh("F"), data.tech.user))
    data.at(at(2027, 3, 10, 12, 0), lambda: workflow.finish_works(order=data.fresh("F"),
                                                                  actor=data.tech))
    data.at(at(2027, 3, 3, 9, 0), lambda: workflow.declare_not_repairable(
        order=data.fresh("G"), actor=data.tech, note="Board cracked"))
    data.send_estimate("H", at(2027, 3, 5, 16, 0))
    data.refuse("H", at(2027, 3, 8, 9, 0))

    # The storeroom: three screens at 40.00 each (the stock value: 120.00).
    from repaircenter.stock import services as stock
    from repaircenter.stock.models import Part

    screen = Part.objects.create(sku="SCR-1", name="Screen", purchase_cost=Decimal("40.00"),
                                 selling_price=Decimal("90.00"))
    stock.receive(center_id=data.fresh("F").center_id, part_id=screen.pk, quantity=3)

    run_sweep(now=at(2027, 3, 5, 10, 0))  # L lapses
    with time_machine.travel(at(2027, 3, 5, 10, 0), tick=False):
        outbox.write_all_pending()
    workflow.confirm_disposals(numbers=[data.orders["M"].number], actor=data.boss,
                               method="recycled", now=at(2027, 3, 20, 10, 0))
    # In April the SMS channel is off: every SMS fails and the news goes by email instead
    # (the console channel delivers it).
    settings.NOTIFICATION_CHANNELS = {
        name: path for name, path in settings.NOTIFICATION_CHANNELS.items() if name != "sms"}
    with time_machine.travel(at(2027, 4, 1, 10, 0), tick=False):
        delivery.run_round()
    return data
