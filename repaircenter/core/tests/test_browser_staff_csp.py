"""The staff's pages under their Content-Security-Policy in Debian's Chromium: nothing on them
is refused (no inline script or style, nothing from elsewhere), and their scripts still work."""

import pytest
from playwright.sync_api import Error, expect

from repaircenter.accounts.roles import Role
from repaircenter.conftest import log_in, make_user

from .test_staff_headers import staff_urls  # noqa: F401 — a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_no_staff_page_breaks_its_policy(staff_urls, new_page):  # noqa: F811
    everyone = make_user("boss", *Role.values)
    page = new_page()
    refused = []
    page.on("console", lambda message: refused.append((page.url, message.text))
            if "Content Security Policy" in message.text else None)
    log_in(page, everyone.username)
    seen = 0
    for url in staff_urls:
        if "logout" in url:
            continue
        # A tab of its own for each address (the same login): Chromium's error page for a 405
        # to GET on an action's URL may otherwise interrupt the next address.
        tab = page.context.new_page()
        tab.on("console", lambda message, tab=tab: refused.append((tab.url, message.text))
               if "Content Security Policy" in message.text else None)
        try:
            response = tab.goto(url)
        except Error:  # an answer with no page to show (a 405 to GET on an action's URL)
            tab.close()
            continue
        if response.status == 200 and "text/html" in response.headers.get("content-type", ""):
            seen += 1
        tab.close()
    assert seen > 10, seen
    assert refused == []
    # htmx runs under the policy: the customer look-up at intake answers as the number is typed.
    page = new_page()
    page.on("console", lambda message: refused.append((page.url, message.text))
            if "Content Security Policy" in message.text else None)
    log_in(page, everyone.username)
    page.goto("/staff/intake/")
    page.locator("#intake-form").get_by_role("textbox", name="Phone", exact=True
                                              ).press_sequentially("020 7946 0999")
    expect(page.locator("#customer-match")).to_contain_text("No customer with this phone yet")
    assert refused == []
