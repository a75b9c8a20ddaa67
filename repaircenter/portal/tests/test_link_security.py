"""The customer's link is the only key to the order: unknown, revoked and malformed links get
one and the same 404, every answer under /o/ carries the privacy headers, and an address that
asks too often is refused with 429."""

import secrets

import pytest
from django.core.management import call_command
from django.test import Client

from repaircenter.consult.models import ChatThread
from repaircenter.core import ratelimit
from repaircenter.core.models import RateCount
from repaircenter.orders import workflow
from repaircenter.orders.models import Status
from repaircenter.orders.workflow import Actor
from repaircenter.portal.middleware import CONTENT_SECURITY_POLICY

from .conftest import order_url, snapshot, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_window(monkeypatch):
    """Every request of the test counts in the same rate-limit window."""
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)


def not_found_page(client, token: str):
    response = client.get(f"/o/{token}/")
    assert response.status_code == 404
    return response


def test_unknown_revoked_and_malformed_links_get_the_same_page(client, make_order, receptionist):
    order = make_order(Status.AWAITING_DECISION)
    revoked = order.link_token
    workflow.replace_portal_link(order=order, actor=Actor.staff(receptionist))

    pages = [
        not_found_page(client, secrets.token_urlsafe(24)),  # random: never existed
        not_found_page(client, revoked),  # replaced by staff
        not_found_page(client, revoked[:-1]),  # one character short
        not_found_page(client, "x"),  # not a token at all
        not_found_page(client, "%00' OR 1=1 --"),
    ]
    texts = {visible_text(page) for page in pages}
    assert len(texts) == 1, texts  # nothing tells a revoked link from one that never was
    text = texts.pop()
    assert "This link does not work" in text
    assert "call us on" in text.lower() or "come and see us" in text.lower()
    assert order.display_number not in text and "Samsung" not in text
    # The new link works.
    assert client.get(order_url(order)).status_code == 200


def test_a_revoked_link_acts_on_nothing(client, make_order, receptionist):
    order = make_order(Status.AWAITING_DECISION)
    old = order.link_token
    workflow.replace_portal_link(order=order, actor=Actor.staff(receptionist))
    before = snapshot(order)
    estimate = workflow.current_estimate(order)
    for name in ("approve", "refuse"):
        response = client.post(f"/o/{old}/{name}/", {"version": order.version + 1,
                                                      "estimate_id": estimate.pk})
        assert response.status_code == 404
    assert client.post(f"/o/{old}/chat/send/", {"body": "Hello?"}).status_code == 404
    assert snapshot(order) == before
    assert not ChatThread.objects.exists()


def test_the_link_of_one_order_never_shows_another(client, make_order):
    first, second = make_order(Status.AWAITING_DECISION), make_order(Status.RECEIVED)
    page = client.get(order_url(first)).content.decode()
    assert first.display_number in page and second.display_number not in page
    assert second.link_token not in page


# --- headers on every answer under /o/ --------------------------------------------------------


def assert_private(response):
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_policy_is_strict():
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_every_answer_under_o_carries_the_headers(client, make_order, settings, one_window):
    order = make_order(Status.AWAITING_DECISION)
    token = order.link_token
    strict = Client(enforce_csrf_checks=True)
    answers = {
        "page": client.get(f"/o/{token}/"),
        "approve page": client.get(f"/o/{token}/approve/"),
        "refuse page": client.get(f"/o/{token}/refuse/"),
        "chat poll": client.get(f"/o/{token}/chat/messages/", HTTP_ACCEPT="application/json"),
        "unknown link": client.get(f"/o/{secrets.token_urlsafe(24)}/"),
        "no such page": client.get(f"/o/{token}/nothing-here/"),
        "no view at all": client.get("/o/"),
        "wrong method": client.put(f"/o/{token}/approve/"),
        "no CSRF token": strict.post(f"/o/{token}/approve/", {"version": 1}),
        "bad form": client.post(f"/o/{token}/approve/", {}),
    }
    settings.PORTAL_REQUESTS_PER_MINUTE = 0
    answers["too many"] = client.get(f"/o/{token}/")
    statuses = {name: response.status_code for name, response in answers.items()}
    assert statuses == {
        "page": 200, "approve page": 200, "refuse page": 200, "chat poll": 200,
        "unknown link": 404, "no such page": 404, "no view at all": 404, "wrong method": 405,
        "no CSRF token": 403, "bad form": 400, "too many": 429,
    }
    for name, response in answers.items():
        try:
            assert_private(response)
        except (AssertionError, KeyError) as error:
            raise AssertionError(f"{name}: {error!r}") from error


def test_public_pages_have_the_policy_but_may_be_indexed(client, db):
    for url in ("/", "/find/", "/advice/", "/chat/", "/robots.txt", "/no-such-page/"):
        response = client.get(url)
        assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert "X-Robots-Tag" not in response, url


def test_staff_pages_keep_their_own_headers(client, receptionist):
    client.force_login(receptionist)
    response = client.get("/staff/")
    from repaircenter.core.middleware import CONTENT_SECURITY_POLICY as STAFF_POLICY

    assert response["Content-Security-Policy"] == STAFF_POLICY  # core/middleware.py
    assert response["Referrer-Policy"] == "same-origin"


# --- rate limits ------------------------------------------------------------------------------


def test_too_many_requests_from_one_address_get_429(client, make_order, settings, one_window):
    settings.PORTAL_REQUESTS_PER_MINUTE = 5
    order = make_order(Status.AWAITING_DECISION)
    statuses = [client.get(order_url(order)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = client.get(order_url(order, "approve"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Please wait a moment" in visible_text(refused)
    before = snapshot(order)
    estimate = workflow.current_estimate(order)
    posted = client.post(order_url(order, "approve"),
                         {"version": order.version, "estimate_id": estimate.pk})
    assert posted.status_code == 429
    assert snapshot(order) == before
    # Another address is not affected.
    assert client.get(order_url(order), REMOTE_ADDR="192.0.2.77").status_code == 200


def test_trying_links_is_stopped_after_a_few_misses(client, make_order, settings, one_window):
    settings.PORTAL_UNKNOWN_LINKS_PER_HOUR = 3
    order = make_order(Status.RECEIVED)
    misses = [client.get(f"/o/{secrets.token_urlsafe(24)}/").status_code for _ in range(4)]
    assert misses == [404, 404, 404, 429]
    # A customer behind another address opens their order as usual.
    assert client.get(order_url(order), REMOTE_ADDR="192.0.2.78").status_code == 200


def test_robots_txt_keeps_crawlers_out_of_order_pages(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /o/" in lines


def test_the_worker_forgets_counts_of_ended_windows_and_keeps_the_current_ones(
    client, make_order, monkeypatch, settings
):
    settings.PORTAL_REQUESTS_PER_MINUTE = 2
    order = make_order(Status.AWAITING_DECISION)
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    client.get(order_url(order))
    client.get(order_url(order), REMOTE_ADDR="192.0.2.79")
    assert RateCount.objects.count() == 2
    # An hour on: the minute windows have ended, the counts go with the worker's next round.
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_003_630.0)
    client.get(order_url(order))  # this address's count starts again in the new window
    call_command("worker", "--once")
    # The minute windows' counts (the worker keeps a day's count of its own orphan sweep).
    assert list(RateCount.objects.filter(key__contains=":60:").values_list("hits", flat=True)
                ) == [1]
    assert [client.get(order_url(order)).status_code for _ in range(2)] == [200, 429]
