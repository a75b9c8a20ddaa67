"""The staff member's profile: the language of their pages, over the browser's."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROFILE = reverse("profile")


def test_a_stranger_is_sent_to_log_in(client):
    answer = client.get(PROFILE)
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
    assert client.post(PROFILE, {"language": "ru"}).status_code == 302


def test_a_user_without_a_staff_role_is_refused(client, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(nobody)
    assert client.get(PROFILE).status_code == 403
    assert client.post(PROFILE, {"language": "ru"}).status_code == 403
    nobody.refresh_from_db()
    assert nobody.language == ""


def test_the_chosen_language_wins_over_the_browsers(client, technician):
    client.force_login(technician)
    assert client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
    answer = client.post(PROFILE, {"language": "ru"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    technician.refresh_from_db()
    assert technician.language == "ru"
    assert "Профиль сохранён." in answer.content.decode()  # said in the language chosen
    page = client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "ru" and "Очереди" in page.content.decode()
    # Back to the browser's.
    client.post(PROFILE, {"language": ""})
    assert client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
    assert client.get("/staff/", HTTP_ACCEPT_LANGUAGE="ru")["Content-Language"] == "ru"


def test_an_unknown_language_is_refused_and_nothing_saved(client, technician):
    client.force_login(technician)
    answer = client.post(PROFILE, {"language": "xx"})
    assert answer.status_code == 400
    assert 'class="field-error"' in answer.content.decode()
    technician.refresh_from_db()
    assert technician.language == ""


def test_the_profile_page_offers_the_languages_and_its_query_count_is_pinned(
    client, manager, django_assert_max_num_queries
):
    client.force_login(manager)
    client.get(PROFILE)
    with django_assert_max_num_queries(6):
        page = client.get(PROFILE).content.decode()
    assert 'value="ru"' in page and "Русский" in page and 'value="en"' in page
