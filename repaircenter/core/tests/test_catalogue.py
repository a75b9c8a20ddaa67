"""The Russian catalogue holds every string the product marks for translation, none of them fuzzy.

It runs `makemessages` as a developer would (README, "Translations"), on a copy of the source with
the committed Russian catalogue beside it, into a temporary folder: strings added since the
catalogue was last updated come out untranslated, strings changed come out fuzzy, and
`msgfmt --statistics` counts both. Slower than a second (makemessages runs xgettext over every
file), and the only test that says "you added a string and did not translate it"."""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

import repaircenter

PACKAGE = Path(repaircenter.__file__).parent
RUSSIAN = PACKAGE / "locale" / "ru" / "LC_MESSAGES" / "django.po"
# The same as the README's command: tests and the demo data are not translated.
IGNORED = ["*/tests/*", "devtools/*", "locale/*"]

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext is not installed")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory):
    """The Russian catalogue as makemessages would make it from the source now."""
    root = tmp_path_factory.mktemp("catalogue")
    source = root / "repaircenter"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns(
        "tests", "locale", "static", "__pycache__", "migrations"))
    target = root / "locale"
    (target / "ru" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(RUSSIAN, target / "ru" / "LC_MESSAGES" / "django.po")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(source)
        patch.setattr(settings, "LOCALE_PATHS", [target])
        call_command("makemessages", locale=["ru"], ignore_patterns=IGNORED, no_obsolete=True,
                     verbosity=0)
    return target / "ru" / "LC_MESSAGES" / "django.po"


def test_every_string_is_translated_into_russian_and_none_is_fuzzy(fresh_catalogue):
    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(fresh_catalogue)],  # noqa: S607
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip().splitlines()[-1]
    po = polib.pofile(str(fresh_catalogue))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated and not fuzzy, (
        f"{statistics}\nNot translated: {untranslated[:20]}\nFuzzy: {fuzzy[:20]}\n"
        "Update the catalogue (README, Translations).")
    assert re.fullmatch(r"\d+ translated messages\.", statistics), statistics


def test_the_committed_catalogue_is_the_fresh_one_with_nothing_left_over(fresh_catalogue):
    """Strings removed from the source are removed from the catalogue too (no obsolete
    entries), and the committed .mo is compiled from the committed .po."""
    committed = {(e.msgctxt, e.msgid) for e in polib.pofile(str(RUSSIAN)) if not e.obsolete}
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(fresh_catalogue))}
    assert committed - fresh == set(), "strings no longer in the source: run makemessages"
    compiled = {(e.msgctxt, e.msgid) for e in polib.mofile(str(RUSSIAN.with_suffix(".mo")))
                if e.msgid}
    assert compiled == committed, "the .mo is older than the .po: run compilemessages"


def test_plural_forms_are_russian():
    """1 день, 2 дня, 5 дней: three forms, and Django's own catalogue's formula (a fourth form
    for fractions, as Django's Russian catalogue has it)."""
    po = polib.pofile(str(RUSSIAN))
    assert po.metadata["Plural-Forms"].startswith("nplurals=4;")
    from django.utils import translation

    with translation.override("ru"):
        words = [translation.ngettext("%(days)s working day", "%(days)s working days", n)
                 % {"days": n} for n in (1, 2, 5, 11, 21, 22)]
    assert words == ["1 рабочий день", "2 рабочих дня", "5 рабочих дней", "11 рабочих дней",
                     "21 рабочий день", "22 рабочих дня"]
