"""An order from intake to issuance through the API alone, and the same history on the staff
order page."""

import hashlib
import re

from django.urls import reverse

from repaircenter.accounts.roles import Role
from repaircenter.documents.models import DocumentKind
from repaircenter.orders.models import Order, Status

from .helpers import approve, intake, pay, post, to_awaiting_decision


def test_intake_to_issuance_through_the_api_alone(api, manager, client):
    made = intake(api)
    number, code = made["order"]["number"], made["pickup_code"]
    assert made["order"]["status"] == Status.RECEIVED
    assert made["order"]["equipment"]["serial_number"] == "R5CW31ABCDE"
    assert made["order"]["customer"]["phone"] == "+442079460101"

    order = to_awaiting_decision(api, number)
    assert order["status"] == Status.AWAITING_DECISION
    assert order["estimates"][0]["total"] == "45.00"  # money is a decimal string
    assert order["balance"] == {"amount_due": "0.00", "paid": "0.00", "balance_due": "0.00",
                                "currency": "GBP"}

    order = approve(api, number)
    assert order["status"] == Status.APPROVED
    assert order["balance"]["balance_due"] == "45.00"
    order = post(api, f"/api/v1/orders/{number}/start-repair/")
    line = order["estimates"][0]["lines"][0]
    order = post(api, f"/api/v1/orders/{number}/lines/{line['id']}/done/",
                 {"part_serials": "PORT-123"})
    assert order["estimates"][0]["lines"][0]["done"] is True
    post(api, f"/api/v1/orders/{number}/finish-works/")
    order = post(api, f"/api/v1/orders/{number}/tests/",
                 {"passed": True, "note": "Charged for an hour at 38°C", "duration_minutes": 60},
                 status=201)
    assert order["status"] == Status.READY_REPAIRED
    assert order["stress_tests"][0]["passed"] is True

    paid = pay(api, number, "45.00")
    assert paid.status_code == 201, paid.json()
    assert paid.json()["payment"]["amount"] == "45.00"
    assert paid.json()["balance"]["balance_due"] == "0.00"

    order = post(api, f"/api/v1/orders/{number}/issue/", {"pickup_code": code})
    assert order["status"] == Status.ISSUED
    actions = [event["action"] for event in order["events"]]
    assert actions == [
        "take_in", "start_diagnosis", "send_estimate", "approve", "start_repair", "work_done",
        "finish_works", "pass_test", "payment", "issue",
    ]
    assert {event["actor_kind"] for event in order["events"]} == {"api"}
    # Every change by the token: recorded on the API channel, except the decision, recorded
    # with the channel the customer used.
    assert {e["action"]: e["channel"] for e in order["events"]}["approve"] == "phone"
    assert {e["channel"] for e in order["events"] if e["action"] != "approve"} == {"api"}
    kinds = {document["kind"] for document in order["documents"]}
    assert {DocumentKind.INTAKE_ORDER, DocumentKind.ESTIMATE, DocumentKind.RECEIPT,
            DocumentKind.COMPLETION_CERTIFICATE, DocumentKind.WARRANTY_CARD} <= kinds
    assert order["messages"], "the customer was told (order received, estimate, ready)"

    # The same history on the staff order page.
    client.force_login(manager)
    page = client.get(reverse("staff:order", args=[number]))
    assert page.status_code == 200
    text = page.content.decode()
    history = text[text.index('<ol class="timeline">'):]
    history = history[:history.index("</ol>")]
    entries = re.findall(r"<li>(.*?)</li>", history, re.DOTALL)
    assert len(entries) == len(order["events"])
    for entry, event in zip(entries, order["events"], strict=True):
        assert f"<strong>{event['label']}</strong>" in entry
        assert f"API: {api.token.name}" in entry
    assert "(API)" in entries[0] and "(Telephone)" in entries[3]
    assert "Yes, go ahead" in entries[3]
    assert Order.objects.get(number=number).status == Status.ISSUED


def test_the_pdf_of_a_document_downloads_with_the_token(api):
    order = intake(api)["order"]
    document = order["documents"][0]
    response = api.get(document["pdf"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF")
    # Made by this first download; the order now shows the PDF's digest.
    assert document["sha256"] == ""
    shown = api.get(f"/api/v1/orders/{order['number']}/").json()["documents"][0]
    assert shown["sha256"] == hashlib.sha256(body).hexdigest()
    # Another order's number with this document's id: not found.
    other = intake(api, phone="+442079460102", name="Bob Green")["order"]
    response = api.get(f"/api/v1/orders/{other['number']}/documents/{document['id']}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_reading_needs_a_staff_role_only(make_client, api):
    number = intake(api)["order"]["number"]
    consultant = make_client(Role.CONSULTANT)
    assert consultant.get(f"/api/v1/orders/{number}/").status_code == 200
    assert consultant.get("/api/v1/orders/").status_code == 200
