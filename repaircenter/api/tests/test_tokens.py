"""Tokens: a bearer token a manager made, not revoked, acting with its roles only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from repaircenter.accounts.roles import Role
from repaircenter.api.models import ApiToken, token_digest
from repaircenter.api.tokens import revoke_tokens
from repaircenter.billing.models import Payment
from repaircenter.orders.models import Order, Status

from .conftest import error
from .helpers import approve, intake, pay, to_awaiting_decision


def test_no_token_or_a_wrong_one_is_401(api, client):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer rc_not-a-token"},
                    {"HTTP_AUTHORIZATION": "Bearer"}, {"HTTP_AUTHORIZATION": "Bearer a b"}):
        response = client.get("/api/v1/orders/", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert error(response)["code"] in {"not_authenticated", "authentication_failed"}


def test_a_revoked_token_stops_working_at_once(api):
    assert api.get("/api/v1/orders/").status_code == 200
    revoke_tokens(tokens=ApiToken.objects.filter(pk=api.token.pk))
    response = api.get("/api/v1/orders/")
    assert response.status_code == 401
    assert "revoked" in error(response)["message"]


def test_only_the_digest_is_stored_and_use_is_noted(api):
    token = ApiToken.objects.get(pk=api.token.pk)
    assert token.digest == token_digest(api.token_text)
    assert api.token_text not in str(ApiToken.objects.values().get(pk=token.pk))
    assert token.last_used_at is None
    api.get("/api/v1/orders/")
    token.refresh_from_db()
    assert token.last_used_at is not None
    # The token's own account cannot log in.
    assert not token.user.is_active and not token.user.has_usable_password()


def test_a_token_without_the_cashier_role_cannot_pay(make_client, api):
    number = intake(api)["order"]["number"]
    to_awaiting_decision(api, number)
    approve(api, number)
    bench = make_client(Role.RECEPTIONIST, Role.TECHNICIAN)
    response = pay(bench, number, "45.00")
    assert response.status_code == 403
    assert error(response)["code"] == "permission_denied"
    assert "cashier" in error(response)["message"]
    assert not Payment.objects.exists()
    cashier = make_client(Role.CASHIER)
    assert pay(cashier, number, "45.00").status_code == 201
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("roles, allowed", [
    ((Role.RECEPTIONIST,), True), ((Role.MANAGER,), True),
    ((Role.TECHNICIAN,), False), ((Role.CASHIER,), False), ((Role.CONSULTANT,), False),
])
def test_intake_needs_the_roles_the_workflow_checks(make_client, roles, allowed, phone_kind):
    client = make_client(*roles)
    response = client.post("/api/v1/orders/", {
        "customer": {"phone": "+442079460101", "name": "Alice Brown"},
        "equipment": {"kind": phone_kind.pk, "brand": "Apple", "condition": "Fine",
                      "fault": "Dead"},
    }, format="json")
    assert response.status_code == (201 if allowed else 403), response.json()
    assert Order.objects.exists() == allowed


def test_roles_are_checked_by_the_workflow_too(make_client, api):
    """A technician's token may take an order for diagnostics but not record a decision."""
    number = intake(api)["order"]["number"]
    technician = make_client(Role.TECHNICIAN)
    assert technician.post(f"/api/v1/orders/{number}/start-diagnosis/").status_code == 200
    to_estimate = {"repair_days": 1, "lines": [
        {"line_kind": "part", "description": "Battery", "quantity": "1", "unit_price": "30"}]}
    assert technician.post(f"/api/v1/orders/{number}/estimates/", to_estimate,
                           format="json").status_code == 201
    assert technician.post(f"/api/v1/orders/{number}/estimates/1/send/").status_code == 200
    response = technician.post(f"/api/v1/orders/{number}/decisions/", {
        "decision": "approve", "channel": "phone", "said": "yes"}, format="json")
    assert response.status_code == 403
    assert Order.objects.get(number=number).status == Status.AWAITING_DECISION


def test_the_manager_makes_a_token_in_the_admin_and_sees_it_once(manager, client):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    response = client.post(reverse("admin:api_apitoken_add"),
                           {"name": "Accounting", "roles": [Role.CASHIER]}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="Accounting")
    shown = [str(m) for m in response.context["messages"]]
    text = next(word for message in shown for word in message.split()
                if word.startswith("rc_")).rstrip(".")
    assert token_digest(text) == token.digest
    assert token.roles == [Role.CASHIER] and token.created_by == manager
    # Never shown again: not on the token's page, not in the list.
    for url in (reverse("admin:api_apitoken_change", args=[token.pk]),
                reverse("admin:api_apitoken_changelist")):
        page = client.get(url)
        assert page.status_code == 200
        assert text not in page.content.decode()
    # It works, with its roles: a cashier reads orders but takes nothing in.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {text}"}
    assert client.get("/api/v1/orders/", **bearer).status_code == 200
    refused = client.post("/api/v1/orders/", {}, content_type="application/json", **bearer)
    assert refused.status_code == 403
    assert error(refused)["code"] == "permission_denied"
    # Revoked with the admin action.
    client.post(reverse("admin:api_apitoken_changelist"),
                {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/equipment-kinds/",
                      HTTP_AUTHORIZATION=f"Bearer {text}").status_code == 401


def test_staff_other_than_managers_cannot_reach_tokens(receptionist, client):
    receptionist.is_staff = True
    receptionist.save()
    client.force_login(receptionist)
    assert client.get(reverse("admin:api_apitoken_add")).status_code == 403
    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 403


def test_last_use_is_written_at_most_once_a_minute(api, django_assert_num_queries):
    api.get("/api/v1/equipment-kinds/")
    earlier = timezone.now() - datetime.timedelta(seconds=5)
    ApiToken.objects.filter(pk=api.token.pk).update(last_used_at=earlier)
    # token, rate count, kinds, their checklists: no write of last_used_at
    with django_assert_num_queries(4):
        api.get("/api/v1/equipment-kinds/")
    assert ApiToken.objects.get(pk=api.token.pk).last_used_at == earlier


def test_a_token_refused_for_its_roles_logs_one_info_line(make_client, caplog):
    consultant = make_client(Role.CONSULTANT)
    with caplog.at_level("DEBUG"):
        response = consultant.post("/api/v1/orders/", {}, format="json")
    assert response.status_code == 403
    logged = [r for r in caplog.records if r.levelname != "DEBUG"]
    assert len(logged) == 1, [(r.name, r.levelname, r.getMessage()) for r in logged]
    assert logged[0].levelname == "INFO" and logged[0].exc_info is None
    assert consultant.token.name in logged[0].getMessage()
    assert "/api/v1/orders/" in logged[0].getMessage()
