"""The portal's layout is written once: the DTL base (every page but the order page) and the
Jinja page.html (the order page, drawn by Jinja alone) draw the same partials, and give the same
HTML around a page's content."""

import re

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from repaircenter.core.models import CenterSettings

from .conftest import order_url

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+')


def unmasked(html: str) -> str:
    """The page with its CSRF token left out: each drawing masks it again."""
    return CSRF.sub(r"\1…", html)


def part(html: str, tag: str) -> str:
    found = re.search(rf'<{tag} class="site-{tag}">.*?</{tag}>', html, flags=re.DOTALL)
    assert found, f"no site {tag}"
    return found.group(0)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("on_the_order", [False, True])
def test_both_skeletons_draw_the_same_page_around_the_content(make_order, center, language,
                                                              on_the_order):
    order = make_order("awaiting_decision")
    context = {"center": center, **({"order": order} if on_the_order else {})}
    request = RequestFactory().get(order_url(order) + "?from=sms")
    with translation.override(language):
        django = engines["django"].get_template("portal/base.html").render(context, request)
        jinja = engines["jinja2"].get_template("portal/page.html").render(context, request)
    assert unmasked(jinja) == unmasked(django)
    assert f'<html lang="{language}">' in jinja and "Fix-It Corner" in jinja
    assert f'name="next" value="{order_url(order)}?from=sms"' in jinja
    # The order's own switch (it changes the customer's language), or the site's.
    assert (f'action="{order_url(order)}language/"' in jinja) == on_the_order


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_order_page_has_the_header_and_footer_of_the_other_portal_pages(
    client, make_order, language
):
    order = make_order("awaiting_decision")
    order.customer.language = language
    order.customer.save(update_fields=["language"])
    # The approval page: a DTL page of the same order, in the same language, whose center (the
    # site's settings) is made to read as the order's.
    site = CenterSettings.load()
    for field in ("name", "address", "phone", "email", "hours"):
        setattr(site, field, getattr(order.center, field))
    site.save()
    order_page = client.get(order_url(order)).content.decode()
    approval = client.get(order_url(order, "approve")).content.decode()
    # Each page's switch comes back to the page itself.
    approval = approval.replace(f'value="{order_url(order, "approve")}"',
                                f'value="{order_url(order)}"')
    for tag in ("header", "footer"):
        assert unmasked(part(order_page, tag)) == unmasked(part(approval, tag))
    assert f'action="{order_url(order)}language/"' in part(order_page, "header")
    assert order.center.name in part(order_page, "footer")
    head_links = re.compile(r'<link rel="icon".*?portal\.js" defer></script>', flags=re.DOTALL)
    assert head_links.search(order_page).group(0) == head_links.search(approval).group(0)
