"""The Jinja2 environment of the pages drawn most often (the staff order page, the queues, the
search, the customer's page): Jinja compiles a template to Python, several times faster than
Django's engine over a long history or a hundred rows.

Those templates live in an app's `jinja2/` folder. The pages are drawn by Jinja alone, on a
skeleton (core/staff_page.html, portal/page.html) made of the same parts (head, header,
messages, footer) that the Django base templates draw with `{% jinja "name.html" %}`
(core/templatetags/jinja.py); smaller Jinja parts are drawn inside Django pages the same way.
Their words are written `{{ _("Text") }}` (with `|format(name=value)` for a blank), which
`makemessages` reads from the .html file as it reads Django's `{{ _("Text") }}`: one catalogue.
A template is compiled once for each language, with its written words already translated
(`TranslatedEnvironment`); `_(a_variable)` is looked up when drawn.
The filters are Django's own, or core/fastformat.py's, which write the same faster: a date
or an amount looks the same in either engine."""

import weakref
from functools import cache, lru_cache

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.signals import setting_changed
from django.template import defaultfilters
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import get_script_prefix, reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from jinja2 import ChainableUndefined, Environment, nodes, pass_context
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from repaircenter.core.csrf_token import masked_token
from repaircenter.core.fastformat import (
    fast_reverse,
    format_date,
    format_float,
    national,
    time_until,
)
from repaircenter.core.staff_header import staff_header
from repaircenter.core.templatetags.choices import label
from repaircenter.core.templatetags.money import format_money

# Each language's words, looked up once per process: a page of rows asks for the same few
# hundred times, and Django's gettext walks the active translation's catalogues each time.
_TRANSLATED: dict[tuple[str | None, str], Markup] = {}


def _(message: str) -> Markup:
    """The message in the active language, as the product wrote it (its markup kept, as
    Django's blocktranslate keeps it); a `|format` after it escapes what fills its blanks."""
    key = (translation.get_language(), message)
    translated = _TRANSLATED.get(key)
    if translated is None:
        translated = _TRANSLATED[key] = Markup(translation.gettext(message))  # noqa: S704
    return translated


class _TranslateWords(NodeTransformer):
    """`_("Text")` with a text written in the template becomes the text in the active language,
    marked safe as `_` marks it: a constant of the compiled template. `_(a_variable)` stays a
    call."""

    def visit_Call(self, node: nodes.Call) -> nodes.Node:  # noqa: N802 (Jinja's visitor names)
        node = self.generic_visit(node)
        if (isinstance(node.node, nodes.Name) and node.node.name == "_"
                and len(node.args) == 1 and isinstance(node.args[0], nodes.Const)
                and isinstance(node.args[0].value, str) and not node.kwargs
                and node.dyn_args is None and node.dyn_kwargs is None):
            return nodes.MarkSafe(nodes.Const(translation.gettext(node.args[0].value)),
                                  lineno=node.lineno)
        return node


# The engine's alias in settings.TEMPLATES (Django names a backend after its module): a page
# drawn by Jinja alone is rendered `using=JINJA`, not looked for in Django's engine first.
JINJA = "jinja2"

# What a page's filters write in, looked up once: the language a template was compiled in (a
# global of that template) and the time zone current when the page began to be drawn
# (`page_values`, the Jinja engine's context processor). A date or an amount asked Django for
# both, context-local look-ups, on each of a page's hundreds of dates and labels.
PAGE_LANGUAGE = "_page_language"
PAGE_ZONE = "_page_zone"


def page_values(request) -> dict:
    """What a Jinja page drawn for `request` is given besides its own values (the Jinja
    engine's context processor): what Django's context processors give its own templates and
    the pages use (`user`, `messages`, `CURRENCY`), and the page's time zone."""
    return {PAGE_ZONE: timezone.get_current_timezone(), "csrf_input": _csrf_input_lazy(request),
            "user": getattr(request, "user", None), "messages": get_messages(request),
            "CURRENCY": settings.CURRENCY}


def _csrf_input(request) -> SafeString:
    """Django's `csrf_input`, its token masked once per request (and secret), and faster
    (core/csrf_token.py): each form of a page made a new masked copy of the same secret, 32
    letters drawn from the system's random source each time. Django's own templates mask it
    once per page too."""
    kept = getattr(request, "_page_csrf_input", None)
    if kept is None or kept[0] != request.META.get("CSRF_COOKIE"):
        made = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                           masked_token(request))  # sets the secret when the request had none
        kept = request._page_csrf_input = (request.META.get("CSRF_COOKIE"), made)
    return kept[1]


_csrf_input_lazy = lazy(_csrf_input, SafeString, str)


class TranslatedEnvironment(Environment):
    """Each template compiled once for each language, its words already translated: a page of
    rows or a long history says `_("…")` hundreds of times, and each call asked Django for the
    active language (a context-local look-up) and went through Jinja's call of a global."""

    def _load_template(self, name, globals):  # noqa: A002 (Jinja's own signature)
        # As Environment._load_template, with the language in the cache's key.
        key = (weakref.ref(self.loader), name, translation.get_language())
        template = self.cache.get(key) if self.cache is not None else None
        if template is not None and (not self.auto_reload or template.is_up_to_date):
            if globals:
                template.globals.update(globals)
            return template
        # The language it is compiled in, for the filters that write in it (PAGE_LANGUAGE).
        template = self.loader.load(self, name, self.make_globals(
            {**(globals or {}), PAGE_LANGUAGE: key[2]}))
        if self.cache is not None:
            self.cache[key] = template
        return template

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002
        # Compiled now, in the active language: its words and its filters' language.
        return super().from_string(
            source, {**(globals or {}), PAGE_LANGUAGE: translation.get_language()},
            template_class)

    def _parse(self, source, name, filename):
        return _TranslateWords().visit(super()._parse(source, name, filename))


def url(name: str, *args, **kwargs) -> str:
    if kwargs:
        return reverse(name, kwargs=kwargs)
    return fast_reverse(name, *args)


def static_url(path: str) -> str:
    """Django's `static(path)`, worked out once per file: every page links the same few
    stylesheets and scripts, and each link was a join of URLs through the storage."""
    return _static_url(path, get_script_prefix())


@lru_cache(maxsize=512)
def _static_url(path: str, prefix: str) -> str:
    return static(path)


def _forget_static_urls(setting, **_kwargs) -> None:
    if setting in ("STATIC_URL", "STORAGES"):  # tests may change where static files are
        _static_url.cache_clear()


setting_changed.connect(_forget_static_urls)


@cache
def languages() -> tuple[dict, ...]:
    """Each language of the product, as `{% get_language_info_list for LANGUAGES %}` gives it:
    its code and its name in itself (`name_local`; `name_translated` is lazy, so one list
    serves every language)."""
    return tuple(translation.get_language_info(code) for code, _name in settings.LANGUAGES)


@pass_context
def django_include(context, name: str, **extra) -> Markup:
    """A Django template drawn inside a Jinja one, with the Jinja template's variables (and
    `extra`): for the small parts other Django pages and documents share."""
    values = dict(context.get_all(), **extra)
    return Markup(render_to_string(name, values, values.get("request")))  # noqa: S704


# The filters below read the page's language and zone from the context's parent (the
# template's globals and what it was given), where they always are: a page of a hundred rows
# calls them hundreds of times, and Context.get looks in the template's own variables first.


@pass_context
def _date(context, value, format_name=None) -> str:
    page = context.parent
    return format_date(value, format_name, language=page.get(PAGE_LANGUAGE),
                       zone=page.get(PAGE_ZONE))


@pass_context
def _time_until(context, value, arg=None) -> str:
    return time_until(value, arg, language=context.parent.get(PAGE_LANGUAGE))


@pass_context
def _label(context, obj, field_name: str):
    return label(obj, field_name, context.parent.get(PAGE_LANGUAGE))


@pass_context
def _floatformat(context, value, arg=-1) -> str:
    return format_float(value, arg, language=context.parent.get(PAGE_LANGUAGE))


@pass_context
def _money(context, amount) -> str:
    return format_money(amount, context.parent.get(PAGE_LANGUAGE))


def _default(value, fallback=""):
    """Django's `default`: the fallback for any false value, not only an undefined one."""
    return value or fallback


def environment(**options) -> Environment:
    # Like Django's templates: a missing attribute is blank, not an error.
    options.update(undefined=ChainableUndefined)
    options.pop("autoescape", None)
    env = TranslatedEnvironment(autoescape=True, **options)
    env.globals.update(_=_, url=url, static=static_url, django_include=django_include,
                       languages=languages, staff_header=staff_header)
    env.filters.update(
        date=_date,
        linebreaksbr=defaultfilters.linebreaksbr,
        truncatechars=defaultfilters.truncatechars,
        timeuntil=_time_until,
        yesno=defaultfilters.yesno,
        default=_default,
        localize=localize,
        money=_money,
        national=national,
        label=_label,
        floatformat=_floatformat,
        stringformat=defaultfilters.stringformat,
    )
    return env
