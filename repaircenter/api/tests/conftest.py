import itertools

import pytest
from rest_framework.test import APIClient

from repaircenter.accounts.roles import Role
from repaircenter.api.tokens import create_token

_names = itertools.count(1)


@pytest.fixture
def make_client(db, manager):
    """An API client holding a new token with `roles` (its token object as `.token`)."""

    def make(*roles: str) -> APIClient:
        token, text = create_token(name=f"system {next(_names)}", roles=list(roles),
                                   created_by=manager)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
        client.token, client.token_text = token, text
        return client

    return make


@pytest.fixture
def api(make_client):
    """A token with every role of the counter and the bench (not consultant)."""
    return make_client(Role.RECEPTIONIST, Role.TECHNICIAN, Role.CASHIER, Role.MANAGER)


def error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]
