"""The CSRF token of a page's forms: Django's get_token(), its mask drawn in one read.

Django masks the cookie's secret afresh for each page, so that a compressed page does not give
the secret away (BREACH), and draws the mask's 32 letters one at a time from the system's
random source: 32 system calls, 40 µs of every page with a form. Here the same letters are
drawn from one read of the same source, each byte that would favour some letters over others
left out; the token is the one Django makes, which Django's middleware checks."""

import os

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    get_token,
)

_LETTERS = len(CSRF_ALLOWED_CHARS)
_PLACE = {letter: place for place, letter in enumerate(CSRF_ALLOWED_CHARS)}
# A byte is taken modulo the letters; those from here up would land on the first letters more
# often than on the others, so they are left out.
_FAIR_BELOW = 256 - 256 % _LETTERS


def masked_token(request) -> str:
    """What django.middleware.csrf.get_token(request) gives: the secret masked anew."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return get_token(request)  # Django makes the secret and sends its cookie
    # As get_token does: the cookie is sent again, to renew its age.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_letters(CSRF_SECRET_LENGTH)
    cipher = "".join(CSRF_ALLOWED_CHARS[(_PLACE[s] + _PLACE[m]) % _LETTERS]
                     for s, m in zip(secret, mask, strict=True))
    return mask + cipher


def _random_letters(count: int) -> str:
    letters: list[str] = []
    while len(letters) < count:
        letters += [CSRF_ALLOWED_CHARS[byte % _LETTERS] for byte in os.urandom(count + 16)
                    if byte < _FAIR_BELOW]
    return "".join(letters[:count])
