"""Sessions live in a signed cookie and the user's roles come with the user: what that changes
for a member of staff (nothing visible) and for someone holding a copy of their cookie."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from repaircenter.conftest import PASSWORD

SEARCH = reverse("staff:search")


def logged_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_a_session_is_a_signed_cookie_not_a_row(receptionist, django_assert_num_queries):
    client = logged_in(receptionist)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    # A staff page reads the user, with their roles in the same query (the centers they work
    # in are kept: orders/workplace.py): no session row, no roles query.
    client.get(SEARCH)
    with django_assert_num_queries(1):
        assert client.get(SEARCH).status_code == 200


def test_a_tampered_cookie_is_no_session(receptionist):
    client = logged_in(receptionist)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.cookies[settings.SESSION_COOKIE_NAME] = value[:-3] + ("aaa" if value[-3:] != "aaa"
                                                                 else "bbb")
    response = client.get(SEARCH)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_logging_out_ends_every_copy_of_the_cookie(receptionist):
    desk = logged_in(receptionist)
    copied = Client()
    copied.cookies[settings.SESSION_COOKIE_NAME] = desk.cookies[settings.SESSION_COOKIE_NAME].value
    assert copied.get(SEARCH).status_code == 200  # a copy works while the session lives

    desk.post(reverse("logout"))

    response = copied.get(SEARCH)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    # Logging in again works, and the new session is good.
    assert logged_in(receptionist).get(SEARCH).status_code == 200


def test_a_role_taken_away_is_gone_on_the_next_request(receptionist, technician):
    client = logged_in(receptionist)
    assert client.get(reverse("staff:intake")).status_code == 200
    receptionist.groups.remove(Group.objects.get(name="receptionist"))
    receptionist.groups.add(Group.objects.get(name="technician"))
    assert client.get(reverse("staff:intake")).status_code == 403


def test_a_deactivated_user_is_signed_out(receptionist):
    client = logged_in(receptionist)
    receptionist.is_active = False
    receptionist.save(update_fields=["is_active"])
    response = client.get(SEARCH)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_new_password_signs_other_sessions_out(receptionist):
    other_desk = logged_in(receptionist)
    receptionist.set_password("a-new-long-password-42")
    receptionist.save()
    response = other_desk.get(SEARCH)
    assert response.status_code == 302
