"""The API's reference page renders in the browser under the site's strict CSP, from the
site's own files."""

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_docs_list_the_operations_under_the_csp(new_page, live_server):
    page = new_page()
    console, requests = [], []
    page.on("console", lambda message: console.append(message.text))
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto("/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    operations = page.locator(".opblock-summary-path")
    expect(operations.first).to_be_visible()
    paths = set(operations.all_inner_texts())
    assert {"/api/v1/orders/", "/api/v1/orders/{number}/payments/",
            "/api/v1/customers/"} <= {p.replace("\u200b", "") for p in paths}
    assert operations.count() >= 17
    # Operations carry the token's lock: the Authorize button is there.
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    assert not [text for text in console if "Content Security Policy" in text], console
    outside = [url for url in requests
               if not url.startswith(live_server.url) and not url.startswith("data:")]
    assert outside == []
