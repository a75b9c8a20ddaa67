"""Sessions live in a signed cookie and the user's roles come with the user, whose row each app
server keeps a minute: what that changes for a member of staff (nothing visible) and for someone
holding a copy of their cookie."""

import time

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from repaircenter.accounts import backends, sessions
from repaircenter.accounts.models import User
from repaircenter.conftest import PASSWORD
from repaircenter.core import kept_per_process

SEARCH = reverse("staff:search")
PROFILE = reverse("profile")


def logged_in(user) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def test_a_session_is_a_signed_cookie_not_a_row(receptionist, django_assert_num_queries):
    client = logged_in(receptionist)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    # The first staff page reads the user, with their roles in the same query, and the centers
    # they work in: no session row, no roles query.
    with django_assert_num_queries(2):
        assert client.get(SEARCH).status_code == 200
    # The next ones, within the minute, read nothing: the row is kept (accounts/backends.py).
    with django_assert_num_queries(0):
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
    # A role renamed is no longer that role, on the next request too.
    receptionist.groups.add(Group.objects.get(name="receptionist"))
    assert client.get(reverse("staff:intake")).status_code == 200
    Group.objects.filter(name="receptionist").get().save()  # saved unchanged: still the role
    assert client.get(reverse("staff:intake")).status_code == 200
    renamed = Group.objects.get(name="receptionist")
    renamed.name = "front desk"
    renamed.save()
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


# --- the user's row kept a minute by each app server -------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    """The kept rows' clock (core/kept_per_process.py), moved by hand: `clock.now += 61`."""

    class Clock:
        now = 1000.0

    monkeypatch.setattr(kept_per_process, "monotonic", lambda: Clock.now)
    return Clock


def signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_row_changed_on_another_server_holds_there_a_minute_for_reading_only(
        receptionist, clock, django_assert_num_queries):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    # Deactivated on another app server: an update that sends this one no signal.
    User.objects.filter(pk=receptionist.pk).update(is_active=False)
    clock.now += backends.USER_KEPT_SECONDS - 1
    with django_assert_num_queries(0):
        assert client.get(SEARCH).status_code == 200  # the row kept here, for reading
    # A request that may write reads the row as it is now: refused, and kept so.
    assert signed_out(client.post(PROFILE, {"language": "de"}))
    assert User.objects.get(pk=receptionist.pk).language == ""
    assert signed_out(client.get(SEARCH))


def test_a_kept_row_is_read_again_after_a_minute(receptionist, clock, django_assert_num_queries):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    User.objects.filter(pk=receptionist.pk).update(is_active=False)
    clock.now += backends.USER_KEPT_SECONDS - 1
    assert client.get(SEARCH).status_code == 200
    clock.now += 1
    with django_assert_num_queries(1):
        assert signed_out(client.get(SEARCH))


def test_a_write_reads_the_row_and_keeps_it_for_the_pages_after(receptionist,
                                                                django_assert_num_queries):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    with django_assert_num_queries(2):  # the user's row read anew, their language saved
        assert client.post(PROFILE, {"language": ""}).status_code == 302
    client.get(SEARCH)  # the language saved: this server forgot the row and read it again
    with django_assert_num_queries(0):
        assert client.get(SEARCH).status_code == 200


def test_each_request_makes_its_own_user_of_the_kept_row(receptionist):
    backend = backends.StaffBackend()
    first = backend.get_user(receptionist.pk)
    first.first_name = "Changed but not saved"
    second = backend.get_user(receptionist.pk)
    assert second is not first and second.first_name == receptionist.first_name
    assert second.roles == frozenset({"receptionist"})
    assert backend.get_user(receptionist.pk + 1000) is None  # no such user: none kept as one


def test_a_row_read_while_a_user_changes_is_not_kept(receptionist, monkeypatch,
                                                     django_assert_num_queries):
    read = backends._USER.rows

    def read_while_changed(user_id):
        rows = read(user_id)
        User.objects.filter(pk=user_id).update(first_name="Renamed")
        backends.user_changed(user_id)  # what a save on another thread of this server calls
        return rows

    monkeypatch.setattr(backends._USER, "rows", read_while_changed)
    assert backends.StaffBackend().get_user(receptionist.pk).first_name != "Renamed"
    monkeypatch.setattr(backends._USER, "rows", read)
    with django_assert_num_queries(1):  # read again, not taken from what was kept
        assert backends.StaffBackend().get_user(receptionist.pk).first_name == "Renamed"


def test_a_role_given_or_taken_from_the_roles_side_shows_at_once(receptionist):
    client = logged_in(receptionist)
    intake = reverse("staff:intake")
    assert client.get(intake).status_code == 200
    role = Group.objects.get(name="receptionist")
    role.user_set.remove(receptionist)
    assert client.get(intake).status_code == 403
    role.user_set.add(receptionist)
    assert client.get(intake).status_code == 200
    role.user_set.clear()
    assert client.get(intake).status_code == 403


# --- each cookie's signature checked once per process (accounts/sessions.py) -----------------


@pytest.fixture
def checks(monkeypatch):
    """How many times Django has checked a session cookie's signature."""
    from django.core import signing

    calls = []
    loads = signing.loads

    def counted(cookie, *args, **kwargs):
        if kwargs.get("salt") == sessions.SALT:
            calls.append(cookie)
        return loads(cookie, *args, **kwargs)

    monkeypatch.setattr(signing, "loads", counted)
    sessions._CHECKED.clear()
    return calls


def test_a_cookie_is_checked_once_then_read_from_what_was_kept(receptionist, checks):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200  # the first page starts the idle clock
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value  # which changed the cookie
    checks.clear()
    for _ in range(3):
        assert client.get(SEARCH).status_code == 200
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == cookie
    assert checks == [cookie]


def test_a_tampered_cookie_is_checked_every_time_and_never_kept(receptionist, checks):
    client = logged_in(receptionist)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    tampered = value[:-1] + ("a" if value[-1] != "a" else "b")
    for _ in range(2):
        stranger = Client()
        stranger.cookies[settings.SESSION_COOKIE_NAME] = tampered
        assert signed_out(stranger.get(SEARCH))
    assert checks.count(tampered) == 2
    assert tampered not in sessions._CHECKED


def test_a_kept_cookie_expires_when_djangos_would(receptionist, checks, monkeypatch):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200  # checked and kept
    signed_at = time.time()
    # Within its age it is read from what was kept; past it, refused as Django refuses it.
    monkeypatch.setattr(time, "time", lambda: signed_at + settings.SESSION_COOKIE_AGE - 5)
    assert sessions.SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value).load()
    monkeypatch.setattr(time, "time", lambda: signed_at + settings.SESSION_COOKIE_AGE + 5)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert signed_out(client.get(SEARCH))
    assert cookie not in sessions._CHECKED
    # Django, checking it afresh, says the same.
    assert sessions.SessionStore(cookie).load() == {}


def test_each_request_gets_its_own_copy_of_a_kept_session(receptionist, checks):
    client = logged_in(receptionist)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    first = sessions.SessionStore(cookie)
    first["center"] = "changed by a view"
    assert "center" not in sessions.SessionStore(cookie).load()
    assert len(checks) == 1


def signed_cookie(**data) -> str:
    store = sessions.SessionStore()
    store.update(data)
    store.save()
    return store.session_key


@pytest.mark.django_db
def test_only_so_many_cookies_are_kept(checks, monkeypatch):
    monkeypatch.setattr(sessions, "KEPT_COOKIES", 2)
    cookies = [signed_cookie(n=n) for n in range(3)]
    for cookie in cookies:
        assert sessions.SessionStore(cookie).load()
    assert list(sessions._CHECKED) == cookies[1:]


def test_a_new_signing_key_forgets_the_kept_cookies(receptionist, checks, settings):
    client = logged_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    settings.SECRET_KEY = "another key for this test only, long enough to be taken" * 2
    assert sessions._CHECKED == {}
    assert signed_out(client.get(SEARCH))  # signed with the old key


def test_a_request_with_a_session_has_its_user_read_at_once(receptionist, client):
    from django.utils.functional import SimpleLazyObject

    staff = logged_in(receptionist)
    request = staff.get(SEARCH).wsgi_request
    assert type(request.user) is User and request.user.pk == receptionist.pk
    # Without a session (a customer, a stranger) the user is read only if something asks.
    request = client.get(reverse("login")).wsgi_request
    assert isinstance(request.user, SimpleLazyObject)


@pytest.mark.django_db
def test_cookies_kept_by_threads_at_once_stay_within_the_bound(checks, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(sessions, "KEPT_COOKIES", 20)
    cookies = [signed_cookie(n=n) for n in range(400)]

    def load(part: list[str]) -> int:
        return sum(bool(sessions.SessionStore(cookie).load()) for cookie in part)

    with ThreadPoolExecutor(8) as pool:
        loaded = sum(pool.map(load, [cookies[start::8] for start in range(8)]))
    assert loaded == 400
    assert len(sessions._CHECKED) == 20
