"""GET /healthz: 200 while the database answers, 503 when it does not."""

import contextlib
import copy
import socket

import pytest
from django.db import connections
from django.db.utils import load_backend

HEALTHZ = "/healthz"


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def database_unreachable(tmp_path):
    """Replace the default connection by one to a database that is not there: an SQLite file in
    a folder that does not exist, or a PostgreSQL port nobody listens on."""
    original = connections["default"]
    settings_dict = copy.deepcopy(original.settings_dict)
    if original.vendor == "sqlite":
        settings_dict.update(NAME=str(tmp_path / "no-such-folder" / "db.sqlite3"), OPTIONS={})
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        settings_dict["OPTIONS"] = {**settings_dict.get("OPTIONS", {}), "connect_timeout": 3}
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "default")
    connections["default"] = broken
    try:
        yield broken
    finally:
        connections["default"] = original
        broken.close()


def test_healthy(client, db):
    response = client.get(HEALTHZ)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_login(client, db):
    # A load balancer has no session: no redirect to the login page.
    client.cookies.clear()
    assert client.get(HEALTHZ).status_code == 200


def test_database_unreachable_is_503(client, db, tmp_path):
    with database_unreachable(tmp_path) as broken:
        response = client.get(HEALTHZ)
        # It really was the database that did not answer: no connection could be opened.
        assert broken.connection is None
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_healthy_again_once_the_database_is_back(client, db, tmp_path):
    with database_unreachable(tmp_path):
        assert client.get(HEALTHZ).status_code == 503
    assert client.get(HEALTHZ).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_other_methods_are_405(client, db, method):
    response = getattr(client, method)(HEALTHZ)
    assert response.status_code == 405
    assert response["Allow"] == "GET"


def test_livez_answers_without_the_database(db, client, django_assert_num_queries, tmp_path):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    with database_unreachable(tmp_path):
        assert client.get("/livez").status_code == 200


def test_livez_is_get_only(client, db):
    assert client.post("/livez").status_code == 405
