"""The Jinja pages' words: `_("Text")` is translated while a template is compiled, once for each
language; what the page shows must be what a call at drawing time showed."""

from django.utils import translation
from jinja2 import DictLoader

from repaircenter.core.jinja_env import environment

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
