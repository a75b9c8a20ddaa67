"""The API's error messages follow the client's Accept-Language; the codes never change."""

import re

import pytest

from repaircenter.api.models import ApiToken
from repaircenter.api.tokens import revoke_tokens

from .conftest import error

pytestmark = pytest.mark.django_db


def test_an_error_message_in_russian_with_the_same_code(api):
    revoke_tokens(tokens=ApiToken.objects.filter(pk=api.token.pk))
    english = error(api.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="en"))
    russian = error(api.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert english["code"] == russian["code"] == "authentication_failed"
    assert english["message"] == "This token is not valid, or a manager revoked it."
    assert russian["message"] == "Этот токен недействителен или отозван руководителем."


def test_a_validation_error_in_russian(api, phone_kind):
    response = api.post("/api/v1/orders/", {"customer": {"phone": "12"}}, format="json",
                        HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid"
    assert body["message"] == "Часть переданных данных неверна; в «fields» сказано, что исправить."
    # Each field's error, in Russian too (Django REST framework's own catalogue, or ours).
    messages = [m for field in body["fields"].values() for m in
                (field if isinstance(field, list) else [str(field)])]
    assert messages and all(re.search("[а-яА-Я]", str(m)) for m in messages), body["fields"]
