"""Schemathesis over the whole schema, in-process against the Django WSGI app with a token:
no answer is a server error, and every answer (status, media type, body) is one the schema
declares. Bounded: deterministic generation and a few examples per operation."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi import checks

from repaircenter.accounts.roles import STAFF_ROLES
from repaircenter.orders.models import EquipmentKind, EventChannel, Order, Status
from repaircenter.orders.workflow import Actor, approve

from .helpers import intake, to_awaiting_decision

MAX_EXAMPLES = 8
# No shrinking: a failure is reported as found, which keeps a failing run short too.
PHASES = [Phase.explicit, Phase.generate]


@pytest.fixture
def wsgi_app():
    """The project's WSGI app, kept from closing the test's database connection when a request
    ends (as Django's test client does), so that it runs inside the test's transaction."""
    from repaircenter.wsgi import application

    def app(environ, start_response):
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = application(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)

    return app


@pytest.fixture
def seeded(make_client, receptionist, settings):
    """A token with every role, and orders in several states for the requests to land on."""
    settings.API_REQUESTS_PER_MINUTE = 100_000
    client = make_client(*STAFF_ROLES)
    numbers = [intake(client)["order"]["number"]]
    number = intake(client, phone="+442079460102", name="Bob Green")["order"]["number"]
    to_awaiting_decision(client, number)
    numbers.append(number)
    order = Order.objects.get(number=number)
    approve(order=order, actor=Actor.staff(receptionist), channel=EventChannel.PHONE,
            evidence={"said": "Yes"})
    number = intake(client, phone="+442079460103", name="Carol White")["order"]["number"]
    client.post(f"/api/v1/orders/{number}/start-diagnosis/", {}, format="json")
    numbers.append(number)
    assert [Order.objects.get(number=n).status for n in numbers] == [
        Status.RECEIVED, Status.APPROVED, Status.DIAGNOSING]
    return client.token_text, numbers


# Every check Schemathesis has (as its command line's `--checks all`): answers as declared, bad
# input refused with 4xx, valid input accepted, auth required, headers as declared…
schemathesis.checks.load_all_checks()
# Rules no JSON Schema can state: a phone number that reaches someone, an IMEI's check digit, an
# amount within its range (amounts are decimal strings), a cursor this API gave, the evidence a
# decision's channel needs (what was said on the phone, the email's text, the signed slip) and
# the reason of a refusal, an equipment kind that exists, a catalogue part that exists, a
# supplier that exists, a center the token works at, a part given once on a purchase order and
# the date a purchase order is sent with. A 400 that names only these fields is the right
# answer to data the schema allows; any other refusal of valid data is a failure.
RULES_BEYOND_THE_SCHEMA = {"phone", "imei", "amount", "quantity", "unit_price", "cursor",
                           "said", "email_text", "signed_slip", "note", "kind", "email",
                           "part", "supplier", "center", "lines", "expected_on"}


def positive_data_acceptance(ctx, response, case):
    if response.status_code == 400:
        fields = response.json()["error"]["fields"]
        if fields and all(name.rsplit(".", 1)[-1] in RULES_BEYOND_THE_SCHEMA
                          for name in fields):
            return None
    return checks.positive_data_acceptance(ctx, response, case)


CHECKS = [positive_data_acceptance if check is checks.positive_data_acceptance else check
          for check in schemathesis.checks.CHECKS.get_all()]


def test_every_answer_matches_the_schema(db, seeded, wsgi_app):
    """Each operation, with valid data and with data the schema forbids. (Schemathesis' own
    pytest loader reads a node attribute pytest 9 no longer has, so the operations are walked
    here, each through its Hypothesis strategy.)"""
    token, numbers = seeded
    kind = EquipmentKind.objects.get(name="Phone")
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    calls = []
    failures = []

    for operation in operations:
        # The schema's own examples first (they take a payment, write an estimate…), then
        # generated data, valid and not.
        strategies = [(strategy, "example", 1) for strategy in
                      schema.get_strategies_from_examples(operation)]
        strategies += [(operation.as_strategy(mode), mode.value, MAX_EXAMPLES)
                       for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        for strategy, mode, examples in strategies:

            @given(case=strategy)
            @settings(max_examples=examples, derandomize=True, deadline=None,
                      database=None, suppress_health_check=list(HealthCheck), phases=PHASES)
            def run(case):
                number = (case.path_parameters or {}).get("number")
                if isinstance(number, int) and not isinstance(number, bool):
                    # Most requests name an order that exists, in one of a few states.
                    case.path_parameters["number"] = numbers[number % len(numbers)]
                if isinstance(case.body, dict) and isinstance(case.body.get("equipment"), dict):
                    case.body["equipment"]["kind"] = kind.pk  # the example's kind, here
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
                )
                calls.append((operation.label, response.status_code))

            try:
                run()
            except (Exception, BaseExceptionGroup) as failure:  # noqa: B036 — Hypothesis' group
                failures.append(f"{operation.label} ({mode}): {failure}")
    assert not failures, "\n\n".join(failures)
    statuses = {status for _label, status in calls}
    # The walk reached the API's answers, not only its refusals.
    assert {200, 201, 400, 404, 409} <= statuses, statuses
