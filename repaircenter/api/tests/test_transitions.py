"""The API's transition operations are the registry's: every manual transition has one, with
its roles and its schema, and there is none the registry does not declare."""

import re

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.api.operations import TransitionOperation
from repaircenter.orders.models import Order, Status
from repaircenter.orders.transitions import TRANSITIONS

from .conftest import error

MANUAL = [t for t in TRANSITIONS.values() if t.manual]
# The order's POSTs that are not transitions: they change what the order holds, not its state.
NOT_TRANSITIONS = {"estimates", "lines/{line_id}/done", "payments"}


def _url(api_path: str, number: int) -> str:
    """The operation's address, with 1 for each of the path's own parameters."""
    return f"/api/v1/orders/{number}/" + re.sub(r"<int:\w+>", "1", api_path) + "/"


def _schema_path(api_path: str) -> str:
    return "/api/v1/orders/{number}/" + re.sub(r"<int:(\w+)>", r"{\1}", api_path) + "/"


def _transition_views(resolver=None) -> list[type[TransitionOperation]]:
    """Every view class in the URLconf that makes transitions."""
    views = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            views += _transition_views(pattern)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "view_class", None)
            if view is not None and issubclass(view, TransitionOperation):
                views.append(view)
    return views


def test_every_manual_transition_has_its_operation(make_client, make_order):
    number = make_order(Status.RECEIVED).number
    schema = APIClient().get("/api/schema/?format=json").json()
    operation_ids = [operation["operationId"] for methods in schema["paths"].values()
                     for operation in methods.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for transition in MANUAL:
        assert transition.api, f"{transition.name} has no API path"
        view = getattr(resolve(_url(transition.api, number)).func, "view_class", None)
        assert view and issubclass(view, TransitionOperation), transition.name
        assert transition in view.operation.transitions
        assert transition.staff_roles <= view.roles["POST"]
        post = schema["paths"][_schema_path(transition.api)]["post"]
        assert post["operationId"] == f"orders_{view.operation.name}_create"
        assert post["summary"]
        assert {"200", "201"} & set(post["responses"])
        assert f"`{transition.name}`" in post["description"]

        others = make_client(*(STAFF_ROLES - transition.staff_roles))
        response = others.post(_url(transition.api, number), {}, format="json")
        assert response.status_code == 403, (transition.name, response.json())
        assert error(response)["code"] == "permission_denied"
    assert Order.objects.get(number=number).status == Status.RECEIVED


def test_no_transition_operation_the_registry_does_not_declare(db, client):
    views = _transition_views()
    assert len(views) == len({view.operation.path for view in views})
    assert {view.operation.path for view in views} == {t.api for t in MANUAL}
    for view in views:
        declared = [t for t in MANUAL if t.api == view.operation.path]
        assert list(view.operation.transitions) == declared
        assert view.roles == {"POST": frozenset().union(*(t.staff_roles for t in declared))}
    # Every other POST on an order is one the test knows is not a transition.
    schema = client.get("/api/schema/?format=json").json()
    posts = {path.removeprefix("/api/v1/orders/{number}/").rstrip("/")
             for path, methods in schema["paths"].items()
             if path.startswith("/api/v1/orders/{number}/") and "post" in methods}
    assert posts == {_schema_path(t.api).removeprefix("/api/v1/orders/{number}/").rstrip("/")
                     for t in MANUAL} | NOT_TRANSITIONS
