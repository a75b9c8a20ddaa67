"""The staff's header bar (core/jinja2/core/_staff_header_drawn.html), drawn once and kept.

Every staff page draws it: the links the person's roles give, the search box, the choice of
center (fifty options in a chain of fifty centers) and the person's name. It was a sixth of an
empty staff page's work, and it is the same on every page for the same person, centers and
language: so it is drawn once for those and kept by each process, and each page puts in what is
its own, the CSRF token of its two forms and its address (where switching center comes back
to). Those are drawn as markers that no escaped text can hold (they begin with "<"), then
replaced."""

from functools import lru_cache

from django.urls import get_script_prefix
from django.utils import translation
from jinja2 import Environment, pass_context
from markupsafe import Markup, escape

TEMPLATE = "core/_staff_header_drawn.html"
_CSRF_INPUT = Markup("<kept-csrf-input>")
_ADDRESS = Markup("<kept-address>")


@pass_context
def staff_header(context) -> Markup:
    """The header for the page's signed-in person (`user`, `request`), or for no one."""
    user = context.get("user")
    key = (context.environment, translation.get_language(), get_script_prefix())
    if user is None or not user.is_authenticated:
        return Markup(_drawn(*key, None))  # noqa: S704 - drawn by an autoescaping template
    request = context["request"]
    place = getattr(request, "workplace", None)  # none outside the staff's pages' middleware
    centers, chosen, may_choose_all = (), None, False
    if place is not None:
        centers = tuple((center.pk, center.name) for center in place.choices)
        chosen, may_choose_all = place.center.pk if place.center else None, place.may_choose_all
    drawn = _drawn(*key, (str(user), frozenset(user.roles), centers, chosen, may_choose_all))
    return Markup(drawn.replace(_CSRF_INPUT, str(context.get("csrf_input", "")))  # noqa: S704
                  .replace(_ADDRESS, escape(request.get_full_path())))


@lru_cache(maxsize=1024)
def _drawn(environment: Environment, language: str, prefix: str, person: tuple | None) -> str:
    """The header drawn in `language` (the active one) for `person`: their name, roles, centers
    to choose from, the one chosen and whether they may choose all; None: no one signed in."""
    template = environment.get_template(TEMPLATE)
    if person is None:
        return template.render(signed_in=False)
    name, roles, centers, chosen, may_choose_all = person
    return template.render(signed_in=True, name=name, roles=roles, centers=centers,
                           chosen=chosen, may_choose_all=may_choose_all,
                           csrf_input=_CSRF_INPUT, address=_ADDRESS)
