"""The demo (`repaircenter demo_data`, and what `repaircenter serve` loads into an empty
database)."""

import io

import pytest
from django.core.management import CommandError, call_command

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.conftest import take_in
from repaircenter.devtools.demo import STAFF, database_is_empty, load_demo_data
from repaircenter.orders.models import Order, Status

pytestmark = pytest.mark.django_db


def test_demo_data_has_an_order_in_every_state_and_a_user_per_role():
    assert database_is_empty()
    accounts = load_demo_data()
    assert not database_is_empty()
    assert set(Order.objects.values_list("status", flat=True)) == set(Status.values)
    roles = {role for _, user_roles, _ in accounts for role in user_roles}
    assert roles == set(Role.values)
    for username, _, password in accounts:
        assert User.objects.get(username=username).check_password(password)


def test_the_command_prints_each_account_with_its_password_once():
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    printed = out.getvalue()
    assert "Demo data loaded." in printed
    for username, *_ in STAFF:
        line = next(line for line in printed.splitlines() if line.startswith(f"  {username} "))
        password = line.split()[1]
        assert User.objects.get(username=username).check_password(password)


def test_the_command_refuses_a_database_with_users_and_changes_nothing(receptionist):
    with pytest.raises(CommandError, match="already has users or orders"):
        call_command("demo_data", stdout=io.StringIO())
    assert list(User.objects.values_list("username", flat=True)) == [receptionist.username]
    assert not Order.objects.exists()


def test_if_empty_leaves_a_database_in_use_alone(receptionist, customer):
    """What `serve` does on every start after the first: nothing, and quietly."""
    take_in(receptionist, customer)
    out = io.StringIO()
    call_command("demo_data", if_empty=True, stdout=out)
    assert out.getvalue() == ""
    assert Order.objects.count() == 1
    assert list(User.objects.values_list("username", flat=True)) == [receptionist.username]


def test_if_empty_loads_into_an_empty_database():
    out = io.StringIO()
    call_command("demo_data", if_empty=True, stdout=out)
    assert "Demo data loaded." in out.getvalue()
    assert Order.objects.count() > 0
