"""The manager's welcome and terms per language: the Russian text once written; the built-in
text in Russian while nobody changed the default; else the default language's (and the admin
says which)."""

import pytest
from django.utils import translation

from repaircenter.core.models import DEFAULT_TERMS, CenterSettings, CenterText

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return CenterSettings.load()


def test_the_built_in_terms_are_in_the_readers_language(chain):
    assert chain.in_language("terms", "en") == DEFAULT_TERMS
    russian = chain.in_language("terms", "ru")
    assert russian.startswith("1. До начала ремонта центр проводит диагностику")
    with translation.override("ru"):
        assert chain.terms_paragraphs()[0].startswith("1. До начала ремонта")
        assert len(chain.terms_paragraphs()) == 9


def test_changed_terms_without_their_russian_fall_back_to_the_default_languages(chain):
    chain.terms = "1. Our own terms."
    chain.save()
    assert chain.in_language("terms", "ru") == "1. Our own terms."
    CenterText.objects.create(center_settings=chain, kind="terms", language="ru",
                              text="1. Наши условия.")
    assert chain.in_language("terms", "ru") == "1. Наши условия."
    assert chain.in_language("terms", "en") == "1. Our own terms."


def test_an_empty_russian_text_is_no_text(chain):
    chain.intro = "Our welcome."
    chain.save()
    CenterText.objects.create(center_settings=chain, kind="intro", language="ru", text="")
    assert chain.in_language("intro", "ru") == "Our welcome."


def test_the_default_language_costs_no_query(chain, django_assert_num_queries):
    with django_assert_num_queries(0):
        chain.in_language("terms", "en")


def test_one_text_per_kind_and_language(chain):
    from django.db import IntegrityError, transaction

    CenterText.objects.create(center_settings=chain, kind="terms", language="ru", text="а")
    with pytest.raises(IntegrityError), transaction.atomic():
        CenterText.objects.create(center_settings=chain, kind="terms", language="ru", text="б")


def test_the_admin_shows_which_languages_are_written(client, manager, chain):
    manager.is_staff = True
    manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    url = f"/admin/core/centersettings/{chain.pk}/change/"
    page = client.get(url).content.decode()
    assert "Русский: the default language&#x27;s text is shown" in page
    CenterText.objects.create(center_settings=chain, kind="terms", language="ru",
                              text="1. Наши условия.")
    page = client.get(url).content.decode()
    assert "terms printed on the intake order: English ✓; Русский ✓" in page
    assert "1. Наши условия." in page  # the inline, to edit
