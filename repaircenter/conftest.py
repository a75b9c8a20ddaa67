"""Shared fixtures: a user for each role, a customer, and an order in any state.

Orders are moved into their state through the workflow functions, never by setting `status`.
"""

import datetime
import os
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
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


def order_in_state(status: str, *, customer, receptionist, technician, manager) -> Order:
    """An order walked through the workflow to `status`, the shortest way there."""
    reception, tech, boss = (Actor.staff(u) for u in (receptionist, technician, manager))
    intake = take_in(receptionist, customer)
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
    workflow.finish_works(order=order, actor=tech)
    if status == Status.TESTING:
        return order
    workflow.record_test(order=order, actor=tech, passed=True, note="60 min load test")
    if status == Status.READY_REPAIRED:
        return order
    if status == Status.ISSUED:
        workflow.issue(order=order, actor=reception, pickup_code=intake.pickup_code)
        return order
    long_ago = timezone.now() - datetime.timedelta(days=400)
    workflow.start_storage_clock(order=order, reached_at=long_ago, channel=EventChannel.SYSTEM)
    workflow.mark_disposal_due(order=order)
    if status == Status.DISPOSAL_DUE:
        return order
    workflow.confirm_disposal(order=order, actor=boss, note="Recycled")
    assert status == Status.DISPOSED
    return order


@pytest.fixture
def make_order(customer, receptionist, technician, manager):
    def make(status: str = Status.RECEIVED) -> Order:
        return order_in_state(
            status, customer=customer, receptionist=receptionist, technician=technician,
            manager=manager,
        )

    return make


def chromium_path() -> str | None:
    path = "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
