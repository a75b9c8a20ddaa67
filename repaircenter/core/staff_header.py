"""The staff's header bar (core/jinja2/core/_staff_header_drawn.html), drawn once and kept.

Every staff page draws it: the links the person's roles give, the search box, the choice of
center (fifty options in a chain of fifty centers) and the person's name. It was a sixth of an
empty staff page's work, and it is the same on every page for the same person, centers and
language: so it is drawn once for those and kept by each process, and each page puts in what is
its own, the CSRF token of its two forms and its address (where switching center comes back
to). Those are drawn as markers that no escaped text can hold (they begin with "<"), at which
the header is cut into pieces, kept; each page joins the pieces with its own values."""

import re
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
        return Markup(_drawn(*key, None)[0])  # noqa: S704 - drawn by an autoescaping template
    request = context["request"]
    place = getattr(request, "workplace", None)  # none outside the staff's pages' middleware
    centers, chosen, may_choose_all = (), None, False
    if place is not None:
        centers = _options(place.choices)
        chosen, may_choose_all = place.center.pk if place.center else None, place.may_choose_all
    pieces = _drawn(*key, (str(user), frozenset(user.roles), centers, chosen, may_choose_all))
    # Each marker among the pieces (`_pieces`) stands for the page's own value.
    values = {_CSRF_INPUT: str(context.get("csrf_input", "")),
              _ADDRESS: escape(request.get_full_path())}
    return Markup("".join([values.get(piece, piece) for piece in pieces]))  # noqa: S704


# The options of the last centers offered, by that tuple itself: a manager's are the centers
# each process keeps a minute (orders/workplace.py), fifty in a chain of fifty, the same tuple on
# every page until it is read again (then the names are read afresh).
_last_options: tuple[tuple, tuple] = ((), ())


def _options(choices: tuple) -> tuple[tuple[int, str], ...]:
    global _last_options  # noqa: PLW0603 - one entry, replaced whole
    kept_for, options = _last_options
    if kept_for is not choices:
        options = tuple((center.pk, center.name) for center in choices)
        _last_options = (choices, options)
    return options


@lru_cache(maxsize=1024)
def _drawn(environment: Environment, language: str, prefix: str,
           person: tuple | None) -> tuple[str, ...]:
    """The header drawn in `language` (the active one) for `person`: their name, roles, centers
    to choose from, the one chosen and whether they may choose all; None: no one signed in. In
    pieces: the text, each marker, the text, and so on (`_pieces`)."""
    template = environment.get_template(TEMPLATE)
    if person is None:
        return (template.render(signed_in=False),)
    name, roles, centers, chosen, may_choose_all = person
    return _pieces(template.render(signed_in=True, name=name, roles=roles, centers=centers,
                                   chosen=chosen, may_choose_all=may_choose_all,
                                   csrf_input=_CSRF_INPUT, address=_ADDRESS))


_MARKERS = re.compile(f"({re.escape(_CSRF_INPUT)}|{re.escape(_ADDRESS)})")


def _pieces(drawn: str) -> tuple[str, ...]:
    """`drawn` cut at its markers, each kept between the texts around it: a page joins the
    pieces with its own values, where replacing each marker searched the whole header twice
    (fifty centers' options)."""
    return tuple(_MARKERS.split(drawn))
