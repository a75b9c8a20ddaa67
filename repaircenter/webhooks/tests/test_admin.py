"""The manager's admin for webhook endpoints: who may use it, registering an endpoint (and what
is refused), the endpoint's page with its deliveries and attempts (a query count that does not
grow with them), the test event, a disabled endpoint's notice and enabling it again."""

import datetime
import html
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from repaircenter.webhooks import delivery
from repaircenter.webhooks.models import Attempt, Delivery, Endpoint, EventType
from repaircenter.webhooks.outbox import queue_test_event

from .conftest import SECRET

pytestmark = pytest.mark.django_db
LIST = "/admin/webhooks/endpoint/"
ADD = LIST + "add/"


def change_url(endpoint: Endpoint) -> str:
    return f"{LIST}{endpoint.pk}/change/"


@pytest.fixture
def admin_manager(manager):
    """The manager, with access to the admin (as the demo data and the setup give them)."""
    manager.is_staff = True
    manager.save()
    return manager


def as_user(client, user):
    client.force_login(user)
    return client


def text(response) -> str:
    content = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(content))


# --- who -----------------------------------------------------------------------------------------


def test_the_manager_sees_the_endpoints(admin_manager, client, endpoint):
    response = as_user(client, admin_manager).get(LIST)
    assert response.status_code == 200
    assert endpoint.url in response.content.decode()
    assert "Webhook endpoints" in as_user(client, admin_manager).get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["receptionist", "technician", "cashier", "consultant"])
def test_other_staff_in_the_admin_may_not(role, request, client, endpoint):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    staff = as_user(client, user)
    assert staff.get(LIST).status_code == 403
    assert staff.get(change_url(endpoint)).status_code == 403
    assert staff.post(ADD, {"url": "https://example.com/x"}).status_code == 403
    assert "Webhook endpoints" not in staff.get("/admin/").content.decode()


def test_a_manager_without_admin_access_is_sent_to_log_in(manager, client):
    response = as_user(client, manager).get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- registering ---------------------------------------------------------------------------------


def form(**changes) -> dict:
    return {"url": "http://127.0.0.1:8999/hooks", "description": "ERP", "secret": SECRET,
            "events": [EventType.ORDER_CREATED, EventType.PAYMENT_RECORDED], **changes}


def test_the_manager_registers_an_endpoint(admin_manager, client):
    response = as_user(client, admin_manager).post(ADD, form())
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert (endpoint.url, endpoint.secret, endpoint.description) == (
        "http://127.0.0.1:8999/hooks", SECRET, "ERP")
    assert endpoint.events == ["order.created", "payment.recorded"]
    assert endpoint.active and endpoint.created_by == admin_manager


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "ftp://example.com/hooks"}, "Give an http:// or https:// address."),
        ({"url": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"url": "https://user:pw@example.com/hooks"}, "Leave the user name and password out"),
        ({"secret": "short"}, "Use a secret of at least 16 characters."),
        ({"events": []}, "This field is required."),
        ({"events": ["order.deleted"]}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_with_a_reason(admin_manager, client, changes, message):
    response = as_user(client, admin_manager).post(ADD, form(**changes))
    assert response.status_code == 200
    assert message in text(response)
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/", "http://localhost/hooks", "http://10.1.2.3/", "http://[::1]/",
     "https://169.254.169.254/latest/meta-data", "http://192.168.0.10/", "http://0.0.0.0/"],
)
def test_outside_development_local_and_private_addresses_are_refused(
    admin_manager, client, settings, url
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = as_user(client, admin_manager).post(ADD, form(url=url))
    assert response.status_code == 200
    assert "is a local or private address; webhooks go only to public addresses." in text(
        response)
    assert not Endpoint.objects.exists()


# --- the endpoint's page -------------------------------------------------------------------------


def deliveries_with_attempts(endpoint: Endpoint, count: int) -> list[Delivery]:
    made = []
    start = timezone.now() - datetime.timedelta(hours=count)
    for index in range(count):
        d = queue_test_event(endpoint)
        Delivery.objects.filter(pk=d.pk).update(created_at=start + datetime.timedelta(hours=index))
        Attempt.objects.bulk_create([
            Attempt(delivery=d, at=start + datetime.timedelta(hours=index, minutes=1),
                    http_status=500, response="down", duration_ms=12),
            Attempt(delivery=d, at=start + datetime.timedelta(hours=index, minutes=2),
                    error="No answer within 1 s", duration_ms=1000),
            Attempt(delivery=d, at=start + datetime.timedelta(hours=index, minutes=3),
                    http_status=200, response='{"ok": true}', duration_ms=9),
        ])
        made.append(d)
    return made


def test_the_page_shows_deliveries_and_attempts_newest_first(admin_manager, client, endpoint):
    older, newer = deliveries_with_attempts(endpoint, 2)
    response = as_user(client, admin_manager).get(change_url(endpoint))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.index(f"delivery-{newer.pk}") < content.index(f"delivery-{older.pk}")
    row = content[content.index(f"delivery-{newer.pk}"):content.index(f"delivery-{older.pk}")]
    assert str(newer.pk) in row and "webhook.test" in row
    answers = [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", li))).strip()
               for li in re.findall(r'<li class="attempt[^"]*">(.*?)</li>', row, re.DOTALL)]
    assert [a.split(": ", 1)[1].split(" (")[0] for a in answers] == [
        "HTTP 200", "No answer within 1 s", "HTTP 500"]
    assert '{"ok": true}' in answers[0] and "(9 ms)" in answers[0]


def test_the_pages_query_count_does_not_grow_with_deliveries(admin_manager, client, endpoint):
    deliveries_with_attempts(endpoint, 2)
    staff = as_user(client, admin_manager)
    staff.get(change_url(endpoint))  # the session and the like, once
    with CaptureQueriesContext(connection) as few:
        assert staff.get(change_url(endpoint)).status_code == 200
    deliveries_with_attempts(endpoint, 20)
    with CaptureQueriesContext(connection) as many:
        response = staff.get(change_url(endpoint))
    assert response.content.decode().count('class="attempt ') == 3 * 22
    assert len(many.captured_queries) == len(few.captured_queries)


# --- actions, and a disabled endpoint ------------------------------------------------------------


def act(client, action: str, *endpoints: Endpoint):
    return client.post(LIST, {"action": action,
                              ACTION_CHECKBOX_NAME: [e.pk for e in endpoints]}, follow=True)


def test_send_a_test_event_posts_a_signed_test_delivery(admin_manager, client, endpoint,
                                                        receiver):
    response = act(as_user(client, admin_manager), "send_test_event", endpoint)
    assert "A test event is queued" in text(response)
    [d] = Delivery.objects.all()
    assert d.event == "webhook.test" and d.payload["data"]["requested_by"] == admin_manager.pk
    assert delivery.run_round() == 1
    [request] = receiver.requests
    assert request["signed"] and request["headers"]["X-RepairCenter-Event"] == "webhook.test"


def test_a_disabled_endpoint_is_shown_to_the_manager_and_enabled_again(
    admin_manager, client, endpoint
):
    Endpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_at=timezone.now(), failing_since=timezone.now(),
        disabled_reason="Every delivery failed from yesterday to today.")
    other = Endpoint.objects.create(url="https://example.com/ok", secret=SECRET,
                                    events=["order.created"])
    staff = as_user(client, admin_manager)

    page = text(staff.get(LIST))
    assert (f"Webhook endpoint {endpoint.url} is disabled: Every delivery failed from yesterday "
            "to today.") in page
    disabled = staff.get(LIST, {"state": "disabled"}).content.decode()
    assert change_url(endpoint) in disabled and change_url(other) not in disabled
    active = staff.get(LIST, {"state": "active"}).content.decode()
    assert change_url(other) in active and change_url(endpoint) not in active

    # No test event to a disabled endpoint.
    assert "Disabled endpoints get no test event" in text(act(staff, "send_test_event", endpoint))
    assert not Delivery.objects.exists()

    assert "1 endpoint enabled." in text(act(staff, "enable", endpoint))
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.disabled_at is None and endpoint.failing_since is None
    assert "is disabled" not in text(staff.get(LIST))


def test_an_endpoint_cannot_be_deleted_only_disabled(admin_manager, client, endpoint):
    staff = as_user(client, admin_manager)
    assert staff.get(f"{LIST}{endpoint.pk}/delete/").status_code == 403
    assert "delete_selected" not in staff.get(LIST).content.decode()
    assert "1 endpoint disabled." in text(act(staff, "disable", endpoint))
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.disabled_at is not None


# --- the list of deliveries ----------------------------------------------------------------------

DELIVERIES = "/admin/webhooks/delivery/"


def test_the_manager_finds_a_delivery_by_its_id_and_sends_a_failed_one_again(
    admin_manager, client, endpoint, receiver
):
    failed, other = queue_test_event(endpoint), queue_test_event(endpoint)
    receiver.plan.extend([410, "ok"])
    delivery.run_round()
    failed.refresh_from_db()
    other.refresh_from_db()
    if failed.status != "failed":
        failed, other = other, failed
    assert (failed.status, other.status) == ("failed", "delivered")
    staff = as_user(client, admin_manager)

    found = staff.get(DELIVERIES, {"q": str(failed.pk)}).content.decode()
    assert f"{DELIVERIES}{failed.pk}/change/" in found
    assert f"{DELIVERIES}{other.pk}/change/" not in found
    assert "HTTP 410" in text(staff.get(f"{DELIVERIES}{failed.pk}/change/"))

    response = staff.post(DELIVERIES, {"action": "send_again",
                                       ACTION_CHECKBOX_NAME: [failed.pk, other.pk]}, follow=True)
    assert "1 delivery queued again." in text(response)  # the delivered one stays as it was
    assert delivery.run_round() == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempt_count) == ("delivered", 2)
    assert list(receiver.received) == [str(other.pk), str(failed.pk)]


def test_other_staff_do_not_see_deliveries(receptionist, client, endpoint):
    receptionist.is_staff = True
    receptionist.save()
    d = queue_test_event(endpoint)
    staff = as_user(client, receptionist)
    assert staff.get(DELIVERIES).status_code == 403
    assert staff.post(DELIVERIES, {"action": "send_again",
                                   ACTION_CHECKBOX_NAME: [d.pk]}).status_code == 403
