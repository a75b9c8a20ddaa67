"""The Jinja pages' words: `_("Text")` is translated while a template is compiled, once for each
language; what the page shows must be what a call at drawing time showed."""

import datetime
import re
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template import defaultfilters, engines
from django.template.backends.jinja2 import Template as Jinja2Template
from django.utils import timezone, translation
from django.utils.timezone import template_localtime
from jinja2 import DictLoader

from repaircenter.core.jinja_env import environment
from repaircenter.core.templatetags.money import money
from repaircenter.orders.models import Order
from repaircenter.orders.states import Status

TEMPLATES = {
    "words.html": '{{ _("Log out") }}|{{ _(word) }}|{{ _("<b>%(who)s</b>")|format(who=who) }}',
    "outer.html": '{{ _("Log out") }}:{% include "words.html" %}',
}


def draw(env, name, language):
    with translation.override(language):
        return env.get_template(name).render(word="Log out", who="<i>")


def test_words_in_the_language_active_when_drawn_each_time():
    env = environment(loader=DictLoader(TEMPLATES))
    english = "Log out|Log out|<b>&lt;i&gt;</b>"
    russian = "Выйти|Выйти|<b>&lt;i&gt;</b>"
    assert draw(env, "words.html", "en") == english
    assert draw(env, "words.html", "ru") == russian
    assert draw(env, "words.html", "en") == english  # not the Russian one kept
    assert draw(env, "outer.html", "ru") == f"Выйти:{russian}"
    assert draw(env, "outer.html", "en") == f"Log out:{english}"


def test_one_compiled_template_per_language():
    env = environment(loader=DictLoader(TEMPLATES))
    with translation.override("ru"):
        russian = env.get_template("words.html")
        assert env.get_template("words.html") is russian
    with translation.override("en"):
        english = env.get_template("words.html")
    assert english is not russian
    with translation.override("ru"):
        assert env.get_template("words.html") is russian


def test_a_word_from_a_variable_is_still_translated_when_drawn():
    env = environment(loader=DictLoader({"t.html": "{{ _(word) }}"}))
    with translation.override("ru"):
        template = env.get_template("t.html")
        assert template.render(word="Log out") == "Выйти"


# The filters of a Jinja page write in the language the template was compiled in and the time
# zone current when the page began: what Django's filters write at the same moment.
FILTERED = ("{{ moment|date('SHORT_DATETIME_FORMAT') }}|{{ day|date('d M Y') }}|"
            "{{ order|label('status') }}|{{ amount|money }}|{{ later|timeuntil }}")


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "America/New_York"])
def test_a_pages_filters_write_what_djangos_write(rf, language, zone):
    moment = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=datetime.UTC)
    day = datetime.date(2026, 12, 31)
    later = timezone.now() + datetime.timedelta(days=9, hours=5)
    order = Order(status=Status.AWAITING_DECISION)
    values = {"moment": moment, "day": day, "order": order, "amount": Decimal("1234.5"),
              "later": later}
    env = environment(loader=DictLoader({"f.html": FILTERED}))
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        template = Jinja2Template(env.get_template("f.html"), engines["jinja2"])
        drawn = template.render(values, rf.get("/"))  # the page's zone from its processor
        expected = "|".join([
            defaultfilters.date(template_localtime(moment), "SHORT_DATETIME_FORMAT"),
            defaultfilters.date(day, "d M Y"), order.get_status_display(),
            money(Decimal("1234.5")), defaultfilters.timeuntil(later)])
        without_request = env.get_template("f.html").render(values)  # the active zone
    assert drawn == expected
    assert without_request == expected


def test_a_pages_forms_carry_one_masked_token_that_the_server_takes(receptionist, customer):
    from django.test import Client
    from django.urls import reverse

    from repaircenter.conftest import take_in

    order = take_in(receptionist, customer).order
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(receptionist)
    page = strict.get(reverse("staff:order", args=[order.number])).content.decode()
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert len(tokens) > 3  # the header's forms and the order's
    assert len(set(tokens)) == 1
    # The same secret masked again on the next page, and the page's token is taken.
    again = strict.get(reverse("staff:order", args=[order.number])).content.decode()
    assert re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', again)[0] != tokens[0]
    response = strict.post(reverse("staff:storage_location", args=[order.number]),
                           {"csrfmiddlewaretoken": tokens[0], "location": "A-1"})
    assert response.status_code != 403
    refused = strict.post(reverse("staff:storage_location", args=[order.number]),
                          {"location": "A-2"})
    assert refused.status_code == 403


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_staff_page_drawn_by_jinja_has_the_skeleton_of_djangos_base(rf, receptionist, language):
    """The order page, the queues and the search are drawn by Jinja alone (core/staff_page.html),
    every other staff page by Django's base.html: both draw the same head, header and
    messages, so the same title and content make the same page."""
    request = rf.get("/staff/anything/")
    request.user = receptionist
    request.session = {}
    messages = FallbackStorage(request)
    messages.add(40, "Something went wrong.")
    request._messages = messages
    with translation.override(language):
        django_page = engines["django"].from_string(
            '{% extends "base.html" %}{% block title %}T{% endblock %}'
            '{% block content %}<p>C</p>{% endblock %}').render({}, request)
        jinja_page = Jinja2Template(engines["jinja2"].env.from_string(
            '{% extends "core/staff_page.html" %}{% block title %}T{% endblock %}'
            '{% block content %}<p>C</p>{% endblock %}'), engines["jinja2"]).render({}, request)
    masked = re.compile(r'(csrfmiddlewaretoken" value=")[^"]+')
    assert masked.sub(r"\1", jinja_page) == masked.sub(r"\1", django_page)
    assert 'role="alert">Something went wrong.</p>' in jinja_page
    assert f'<html lang="{language}">' in jinja_page and "js/staff.js" in jinja_page


class Person:
    """What the header reads of a signed-in person."""

    is_authenticated = True

    def __init__(self, name: str, roles: tuple[str, ...]):
        self.name, self.roles = name, frozenset(roles)

    def __str__(self):
        return self.name


def test_the_staff_header_is_drawn_once_for_a_person_and_follows_what_it_shows():
    """The header is kept for a person's name and roles, their centers, the one chosen and the
    language (core/staff_header.py); each page gets its own CSRF token and address in it, and
    whatever else changes draws it anew."""
    from types import SimpleNamespace

    from markupsafe import Markup

    from repaircenter.core.staff_header import _drawn

    north, south = SimpleNamespace(pk=1, name="North <1>"), SimpleNamespace(pk=2, name="South")

    def header(center=None, *, person=None, choices=(north, south), may_choose_all=True,
               language="en", address="/staff/queues/ready/?page=2", token="TOKEN-A"):
        place = SimpleNamespace(choices=choices, center=center, may_choose_all=may_choose_all)
        request = SimpleNamespace(workplace=place, get_full_path=lambda: address)
        with translation.override(language):
            return engines["jinja2"].env.from_string("{{ staff_header() }}").render(
                user=person or Person("Ann <A>", ("manager",)), request=request,
                csrf_input=Markup(f'<input type="hidden" name="csrfmiddlewaretoken" '
                                  f'value="{token}">'))

    first = header()
    assert '<option value="all" selected>All centers</option>' in first
    assert '<option value="1">North &lt;1&gt;</option>' in first
    assert ">Ann &lt;A&gt;</a>" in first and "New intake" in first
    assert first.count('name="csrfmiddlewaretoken" value="TOKEN-A"') == 2
    assert 'name="next" value="/staff/queues/ready/?page=2"' in first
    drawn = _drawn.cache_info().misses
    second = header(address='/staff/search/?q="<x>"', token="TOKEN-B")
    assert _drawn.cache_info().misses == drawn  # kept
    assert second.count('value="TOKEN-B"') == 2 and "TOKEN-A" not in second
    assert 'name="next" value="/staff/search/?q=&#34;&lt;x&gt;&#34;"' in second
    assert second.replace("TOKEN-B", "TOKEN-A").replace(
        "/staff/search/?q=&#34;&lt;x&gt;&#34;", "/staff/queues/ready/?page=2") == first

    assert '<option value="2" selected>South</option>' in header(south)
    technician = header(person=Person("Ben", ("technician",)))
    assert "New intake" not in technician and ">Ben</a>" in technician
    assert "Все центры" in header(language="ru")
    alone = header(north, choices=(north,), may_choose_all=False)
    assert "<select" not in alone and "Log out" in alone
    # A center renamed: its process reads the centers anew, a new tuple (orders/workplace.py).
    south.name = "South, renamed"
    assert ">South, renamed</option>" in header(south, choices=(north, south))
    # A name that reads like a marker is text, escaped: nothing is put in its place.
    marked = header(person=Person("<kept-address>", ("manager",)))
    assert ">&lt;kept-address&gt;</a>" in marked
    assert marked.count("/staff/queues/ready/?page=2") == 1
    no_one = engines["jinja2"].env.from_string("{{ staff_header() }}").render(
        user=SimpleNamespace(is_authenticated=False))
    assert "Repair Center" in no_one and "Log out" not in no_one


def test_a_static_files_link_is_djangos_and_follows_the_settings(settings):
    from django.templatetags.static import static

    template = engines["jinja2"].env.from_string("{{ static('css/staff.css') }}")
    assert template.render() == static("css/staff.css")
    settings.STATIC_URL = "/elsewhere/"
    assert template.render() == static("css/staff.css")
    assert template.render().startswith("/elsewhere/")
