"""The public home page: the center's contacts and hours, and the ways in."""

import pytest
from django.urls import reverse

from repaircenter.consult.tests.conftest import set_online

from .conftest import visible_text

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_the_center_and_its_contacts(client, center):
    response = client.get("/")
    assert response.status_code == 200
    text = visible_text(response)
    assert "Fix-It Corner" in text
    assert "We mend what others throw away." in text
    assert "Diagnostics in two working days." in text
    for fact in ("12 High Street, London SE1 7PB", "020 7946 0000", "desk@fixit.example",
                 "Mon-Sat 9:00-18:00"):
        assert fact in text
    content = response.content.decode()
    assert 'href="tel:02079460000"' in content
    for name in ("portal:lookup", "portal:advice", "portal:chat"):
        assert f'href="{reverse(name)}"' in content


def test_the_home_page_says_whether_a_consultant_is_online(client, center, consultant):
    assert "No consultant is online right now" in visible_text(client.get("/"))
    set_online(consultant)
    assert "A consultant is online now." in visible_text(client.get("/"))
    set_online(consultant, minutes_ago=6)  # idle for longer than the setting's 5 minutes
    assert "No consultant is online right now" in visible_text(client.get("/"))


def test_staff_find_their_pages_under_staff(client, receptionist):
    assert client.get("/").status_code == 200  # no longer a redirect to the staff pages
    client.force_login(receptionist)
    assert client.get("/staff/").status_code == 200


def test_an_unknown_public_address_gets_a_public_404(client, center):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in visible_text(response)
    assert "Fix-It Corner" in visible_text(response)
