"""Staff login, lockout, logout, idle timeout, and that every staff page needs a role."""

import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.files.base import ContentFile
from django.urls import URLPattern, get_resolver, reverse

from repaircenter.accounts.middleware import LAST_SEEN_KEY
from repaircenter.conftest import PASSWORD, make_user
from repaircenter.orders.models import EquipmentPhoto, Order, Status

LOGIN_URL = reverse("login")
LOGOUT_URL = reverse("logout")
HOME_URL = reverse("staff:home")
WRONG_PASSWORD_TEXT = "That user name and password do not match."
LOCKED_TEXT = "Login locked"


# --- every staff URL -------------------------------------------------------------------------


def staff_patterns() -> list[URLPattern]:
    resolver = get_resolver()
    staff = next(
        p for p in resolver.url_patterns if getattr(p, "namespace", None) == "staff"
    )
    return [p for p in staff.url_patterns if isinstance(p, URLPattern)]


@pytest.fixture
def staff_urls(make_order) -> list[str]:
    """Every URL of the staff namespace, with arguments that name things that exist."""
    order: Order = make_order(Status.RECEIVED)
    photo = EquipmentPhoto.objects.create(order=order, image=ContentFile(b"x", "x.jpg"))
    samples = {
        "number": order.number, "slug": "to-diagnose", "action": "start_diagnosis",
        "pk": photo.pk, "event_id": order.events.first().pk, "estimate_id": 1, "line_id": 1,
        "entry_id": 1, "part_id": 1,
    }
    urls = []
    for pattern in staff_patterns():
        names = set(pattern.pattern.converters)
        missing = names - set(samples)
        assert not missing, f"add a sample value for {missing} of staff:{pattern.name}"
        urls.append(reverse(f"staff:{pattern.name}", kwargs={n: samples[n] for n in names}))
    return urls


def test_the_staff_namespace_has_the_known_pages():
    assert len(staff_patterns()) >= 11


def test_every_staff_view_is_behind_role_required():
    for pattern in staff_patterns():
        assert getattr(pattern.callback, "allowed_roles", None), pattern.name


def test_anonymous_users_are_sent_to_the_login_page_everywhere(client, staff_urls):
    for url in staff_urls:
        redirected = []
        for method in (client.get, client.post):
            response = method(url)
            # A method the view does not take may be refused before the login check.
            assert response.status_code in (302, 405), (url, response.status_code)
            if response.status_code == 302:
                assert response.url == f"{LOGIN_URL}?next={quote(url)}", url
                redirected.append(method)
        assert redirected, f"{url} never redirected to login"
    assert Order.objects.get().status == Status.RECEIVED  # nothing acted


def test_a_user_without_a_role_is_forbidden_everywhere(client, staff_urls):
    client.force_login(make_user("nobody"))
    for url in staff_urls:
        forbidden = []
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (403, 405), (url, response.status_code)
            if response.status_code == 403:
                forbidden.append(method)
        assert forbidden, f"{url} never answered 403"
    assert Order.objects.get().status == Status.RECEIVED


def test_an_inactive_user_with_a_role_is_not_let_in(client, receptionist):
    client.force_login(receptionist)
    receptionist.is_active = False
    receptionist.save()
    response = client.get(HOME_URL)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)


def test_each_role_reaches_the_home_page(client, users_by_role):
    for user in users_by_role.values():
        client.force_login(user)
        assert client.get(HOME_URL).status_code == 200


# --- logging in ------------------------------------------------------------------------------


def log_in(client, username: str, password: str, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password, **extra})


def test_login_page_shows(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_login_with_the_right_password(client, receptionist):
    response = log_in(client, "rita", PASSWORD)
    assert response.status_code == 302
    assert response.url == HOME_URL
    assert client.session[SESSION_KEY] == str(receptionist.pk)
    assert client.get(HOME_URL).status_code == 200


def test_login_goes_back_to_the_page_asked_for(client, receptionist):
    next_url = reverse("staff:queue", args=["ready"])
    response = log_in(client, "rita", PASSWORD, next=next_url)
    assert response.url == next_url


def test_login_does_not_go_to_another_site(client, receptionist):
    response = log_in(client, "rita", PASSWORD, next="https://evil.example/")
    assert response.url == HOME_URL


@pytest.mark.parametrize(("username", "password"), [("rita", "wrong"), ("nobody", PASSWORD)])
def test_login_with_a_wrong_password_or_user_shows_the_error(
    client, receptionist, username, password
):
    response = log_in(client, username, password)
    assert response.status_code == 200
    assert WRONG_PASSWORD_TEXT in response.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(HOME_URL).status_code == 302


# --- lockout (django-axes) -------------------------------------------------------------------


def test_one_failure_short_of_the_limit_the_right_password_still_works(client, receptionist):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert WRONG_PASSWORD_TEXT in log_in(client, "rita", "wrong").content.decode()
    response = log_in(client, "rita", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(receptionist.pk)


def assert_locked(response):
    assert response.status_code == 429 or LOCKED_TEXT in response.content.decode()


def test_after_the_failure_limit_even_the_right_password_is_refused(client, receptionist):
    assert settings.AXES_FAILURE_LIMIT >= 2
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "rita", "wrong")

    response = log_in(client, "rita", PASSWORD)

    assert_locked(response)
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(HOME_URL).status_code == 302


def test_the_lockout_is_for_that_user_only(client, receptionist, technician):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "rita", "wrong")
    assert_locked(log_in(client, "rita", PASSWORD))
    response = log_in(client, "tom", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(technician.pk)


def test_a_success_before_the_limit_resets_the_count(client, receptionist):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "rita", "wrong")
    assert log_in(client, "rita", PASSWORD).status_code == 302
    client.post(LOGOUT_URL)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "rita", "wrong")
    assert log_in(client, "rita", PASSWORD).status_code == 302


# --- logging out -----------------------------------------------------------------------------


def test_logout_is_a_post_that_ends_the_session(client, receptionist):
    client.force_login(receptionist)
    session_key = client.session.session_key
    response = client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert response.url == LOGIN_URL
    assert SESSION_KEY not in client.session
    assert client.session.session_key != session_key
    home = client.get(HOME_URL)
    assert home.status_code == 302 and home.url.startswith(LOGIN_URL)


def test_logout_by_get_is_refused_and_keeps_the_session(client, receptionist):
    client.force_login(receptionist)
    assert client.get(LOGOUT_URL).status_code == 405
    assert client.get(HOME_URL).status_code == 200


def test_the_staff_pages_log_out_with_a_post_form(client, receptionist):
    client.force_login(receptionist)
    content = client.get(HOME_URL).content.decode()
    assert f'<form method="post" action="{LOGOUT_URL}">' in content


# --- idle timeout ----------------------------------------------------------------------------


def set_last_seen(client, seconds_ago: int) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds_ago
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key  # the signed cookie


def test_an_idle_session_is_logged_out_on_the_next_request(client, receptionist):
    client.force_login(receptionist)
    assert client.get(HOME_URL).status_code == 200
    set_last_seen(client, settings.SESSION_IDLE_TIMEOUT + 5)

    response = client.get(HOME_URL)

    assert response.status_code == 302
    assert response.url == f"{LOGIN_URL}?next={quote(HOME_URL)}"
    assert SESSION_KEY not in client.session
    assert client.get(HOME_URL).status_code == 302  # and stays logged out


def test_an_idle_session_cannot_act(client, technician, make_order):
    order = make_order(Status.RECEIVED)
    client.force_login(technician)
    set_last_seen(client, settings.SESSION_IDLE_TIMEOUT + 5)
    response = client.post(
        reverse("staff:order_action", args=[order.number, "start_diagnosis"]),
        {"version": order.version},
    )
    assert response.status_code == 302 and response.url.startswith(LOGIN_URL)
    order.refresh_from_db()
    assert order.status == Status.RECEIVED


def test_a_session_active_within_the_timeout_stays_and_is_refreshed(client, receptionist):
    client.force_login(receptionist)
    set_last_seen(client, settings.SESSION_IDLE_TIMEOUT - 30)
    before = int(time.time())

    assert client.get(HOME_URL).status_code == 200

    assert client.session[SESSION_KEY] == str(receptionist.pk)
    assert client.session[LAST_SEEN_KEY] >= before  # the idle clock restarted
    assert client.get(HOME_URL).status_code == 200


def test_the_first_request_after_login_starts_the_idle_clock(client, receptionist):
    assert log_in(client, "rita", PASSWORD).status_code == 302
    before = int(time.time())
    client.get(HOME_URL)
    assert client.session[LAST_SEEN_KEY] >= before


def test_a_role_refusal_is_one_info_line_without_a_traceback(client, caplog, technician):
    client.force_login(technician)
    url = reverse("staff:intake")
    with caplog.at_level("DEBUG"):
        response = client.get(url)
    assert response.status_code == 403
    refusals = [r for r in caplog.records if r.levelname != "DEBUG"]
    assert len(refusals) == 1, [(r.name, r.levelname, r.getMessage()) for r in refusals]
    [record] = refusals
    assert record.levelname == "INFO"
    assert record.exc_info is None
    message = record.getMessage()
    assert "\n" not in message
    assert url in message and technician.username in message and "receptionist" in message
