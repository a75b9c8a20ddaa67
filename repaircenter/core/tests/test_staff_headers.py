"""Every staff page (every URL under /staff/ and /accounts/ in the URLconf) answers with
`Cache-Control: no-store` and a Content-Security-Policy that runs no inline script, whatever the
answer: a page, a redirect to the login, a refusal, a 404."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from repaircenter.accounts.roles import Role
from repaircenter.conftest import make_user
from repaircenter.core.middleware import STAFF_PREFIXES
from repaircenter.orders.models import Status
from repaircenter.orders.states import QUEUES
from repaircenter.reports.reports import REPORTS


def routes(patterns=None, prefix: str = "/") -> list[str]:
    """Every route of the URLconf, as written (`/staff/orders/<int:number>/`)."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(prefix + str(pattern.pattern))
    return found


def staff_routes() -> list[str]:
    return [route for route in routes() if route.startswith(STAFF_PREFIXES)]


@pytest.fixture
def staff_urls(make_order) -> list[str]:
    order = make_order(Status.AWAITING_DECISION)
    estimate = order.estimates.first()
    samples = {"number": str(order.number), "action": "start_repair",
               "pk": "1", "event_id": str(order.events.first().pk),
               "estimate_id": str(estimate.pk), "line_id": str(estimate.lines.first().pk),
               "entry_id": "1", "part_id": "1"}
    queue, report = next(iter(QUEUES)), next(iter(REPORTS))

    def sample(route, match):
        name = match.group(2)
        if name == "slug":
            return report if "/reports/" in route else queue
        assert name in samples, f"add a sample value for {name} of {route}"
        return samples[name]

    urls = [re.sub(r"<(?:(\w+):)?(\w+)>", lambda m, r=route: sample(r, m), route)
            for route in staff_routes()]
    return sorted(urls, key=lambda url: "logout" in url)  # logging out last


def assert_headers(response, url):
    policy = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", (url, response.status_code, policy)
    assert directives.get("default-src") == "'none'", (url, policy)
    assert directives.get("frame-ancestors") == "'none'", (url, policy)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (url, policy)
    cache = [part.strip() for part in response.headers.get("Cache-Control", "").split(",")]
    assert "no-store" in cache, (url, response.status_code, response.headers.get("Cache-Control"))


def test_the_urlconf_has_the_staff_pages():
    found = staff_routes()
    assert len(found) > 50
    for part in ("/accounts/login/", "/staff/", "/staff/reports/", "/staff/consult/",
                 "/staff/messages/attention/"):
        assert part in found


def test_every_staff_page_has_no_store_and_a_csp_without_inline_script(client, staff_urls):
    everyone = make_user("boss", *Role.values)
    pages = 0
    for url in staff_urls:
        for method in (client.get, client.post):
            client.force_login(everyone)
            response = method(url)
            assert_headers(response, url)
            pages += response.status_code == 200
    assert pages > 10  # real pages, not only refusals (ids named "pk" may not exist: 404)


def test_anonymous_and_refused_answers_have_them_too(client, staff_urls):
    for url in staff_urls:
        assert_headers(client.get(url), url)  # the redirect to the login, or the login page
    client.force_login(make_user("nobody"))
    for url in staff_urls:
        assert_headers(client.get(url), url)  # 403


def test_public_pages_keep_their_own_policy(client, db):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "no-store" not in response.headers.get("Cache-Control", "")
