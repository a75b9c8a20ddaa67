"""At login, staff of a chain choose the center they work in today; the desk remembers it."""

import pytest
from django.urls import reverse

from repaircenter.accounts.forms import CENTER_COOKIE, CHOSEN_CENTER
from repaircenter.accounts.roles import Role
from repaircenter.conftest import PASSWORD, make_user

LOGIN_URL = reverse("login")


@pytest.fixture
def desk(east, west):
    """A receptionist who works in both centers."""
    user = make_user("desk", Role.RECEPTIONIST)
    east.staff.set([user])
    west.staff.add(user)
    return user


def log_in(client, username, center=None, **extra):
    data = {"username": username, "password": PASSWORD, **extra}
    if center is not None:
        data["center"] = center
    return client.post(LOGIN_URL, data)


def test_a_chain_asks_where_one_works_today_and_the_queues_follow(client, desk, west):
    form = client.get(LOGIN_URL).content.decode()
    assert 'name="center"' in form and "West" in form and "East" in form
    response = log_in(client, "desk", str(west.pk))
    assert response.status_code == 302
    assert client.session[CHOSEN_CENTER] == str(west.pk)
    assert response.cookies[CENTER_COOKIE].value == str(west.pk)
    home = client.get(reverse("staff:home")).content.decode()
    assert f'<option value="{west.pk}" selected>West</option>' in home


def test_the_desk_remembers_its_center_for_the_next_login(client, desk, west):
    log_in(client, "desk", str(west.pk))
    client.post(reverse("logout"))
    form = client.get(LOGIN_URL).content.decode()
    assert f'<option value="{west.pk}" selected>West</option>' in form


def test_the_header_choice_is_remembered_too(client, desk, east, west):
    log_in(client, "desk", str(west.pk))
    response = client.post(reverse("staff:choose_center"), {"center": str(east.pk)})
    assert response.cookies[CENTER_COOKIE].value == str(east.pk)


def test_no_choice_means_ones_usual_center(client, desk, east):
    assert log_in(client, "desk", "").status_code == 302
    assert CHOSEN_CENTER not in client.session
    home = client.get(reverse("staff:home")).content.decode()
    assert f'<option value="{east.pk}" selected>East</option>' in home


def test_a_center_one_does_not_work_in_is_refused_with_the_reason(client, east, west):
    east.staff.add(make_user("eastonly2", Role.RECEPTIONIST))
    response = log_in(client, "eastonly2", str(west.pk))
    assert response.status_code == 200
    text = response.content.decode()
    assert "You do not work at West" in text
    assert "do not match" not in text
    assert "_auth_user_id" not in client.session  # not logged in


def test_all_centers_is_a_managers_choice(client, desk, east):
    response = log_in(client, "desk", "all")
    assert "Only a manager works at all centers" in response.content.decode()
    assert "_auth_user_id" not in client.session
    make_user("boss", Role.MANAGER)
    assert log_in(client, "boss", "all").status_code == 302
    assert client.session[CHOSEN_CENTER] == "all"


def test_a_wrong_password_says_so_whatever_the_center(client, desk, west):
    response = client.post(LOGIN_URL, {"username": "desk", "password": "wrong",
                                       "center": str(west.pk)})
    assert "do not match" in response.content.decode()


def test_a_center_that_is_no_choice_is_refused(client, desk):
    response = log_in(client, "desk", "99999")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_single_center_asks_nothing(client, db):
    make_user("solo", Role.RECEPTIONIST)
    assert 'name="center"' not in client.get(LOGIN_URL).content.decode()
    assert log_in(client, "solo").status_code == 302
    assert CHOSEN_CENTER not in client.session
