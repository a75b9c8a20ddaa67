"""A database that cannot be reached: the connection points at a port where nothing listens
(PostgreSQL) or a file that cannot be opened (SQLite), a real failure of the driver. The API
answers 503 in its error shape with Retry-After, pages a plain 503 page, never a stack trace."""

import socket

import pytest
from django.db import connection
from django.test import Client

from repaircenter.accounts.roles import Role
from repaircenter.api.tokens import create_token
from repaircenter.orders.models import Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


@pytest.fixture
def database_down(tmp_path):
    """From here on, every new connection fails; the one in use is closed."""
    saved = dict(connection.settings_dict)

    def down():
        connection.close()
        if connection.vendor == "postgresql":
            connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        else:
            connection.settings_dict["NAME"] = str(tmp_path / "no-such-folder" / "db.sqlite3")

    yield down
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def assert_plain_503_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["Content-Type"].startswith("text/html")
    text = response.content.decode()
    assert "try again in a minute" in text.lower()
    assert "Traceback" not in text and "Error" not in text


def test_the_api_answers_503_in_its_error_shape(manager, database_down, caplog):
    token, text = create_token(name="shop", roles=[Role.MANAGER], created_by=manager)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {text}")
    database_down()
    for response in (client.get("/api/v1/orders/"),
                     client.post("/api/v1/orders/1/payments/", {"amount": "1.00"},
                                 content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")):
        assert response.status_code == 503
        assert response["Retry-After"] == "60"
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"] == "unavailable"
        assert body["error"]["fields"] == {}
    assert not [r for r in caplog.records if r.exc_info]  # one line each, no traceback
    assert any("database unavailable" in r.getMessage() for r in caplog.records)


def test_pages_answer_a_plain_503_page(make_order, receptionist, database_down):
    order = make_order(Status.RECEIVED)
    staff = Client(raise_request_exception=False)
    staff.force_login(receptionist)
    public = Client(raise_request_exception=False)
    database_down()
    assert_plain_503_page(public.get("/"))
    assert_plain_503_page(public.get("/o/" + "x" * 32 + "/"))  # the customer's page
    assert_plain_503_page(public.post("/find/", {"phone": "+442079460101"}))
    assert_plain_503_page(staff.get("/staff/"))
    assert_plain_503_page(staff.get(f"/staff/orders/{order.number}/"))


def test_other_server_errors_stay_a_plain_500(client, db, settings):
    """handler500 changes only the outage: any other error is Django's plain 500 page."""
    from django.test import RequestFactory

    from repaircenter.core.views import server_error

    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
