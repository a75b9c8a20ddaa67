"""The session engine: Django's signed cookie, each cookie's signature checked once per process.

Every staff request reads its session from the cookie, and Django checks the cookie's signature
on each (two key derivations and an HMAC, then the payload decoded and decompressed: 15 µs
alone, more inside a request). A browser sends the same cookie on every request until its
session changes (a minute at least: accounts/middleware.py), so each process keeps the last
cookies it has checked, with what they hold and when they were signed. Only a cookie whose
signature Django accepted is kept; a kept one is refused, as Django refuses it, once it is older
than a session may be. A cookie is the whole of what it holds, so keeping it never lets through
one that Django would not."""

import json
import threading
import time

from django.contrib.sessions.backends import signed_cookies
from django.core import signing
from django.core.signals import setting_changed

# Django's, for a cookie of this engine.
SALT = "django.contrib.sessions.backends.signed_cookies"
# Cookies checked by this process: cookie -> (what it holds as JSON, when it was signed). A
# hundred people each with a session or two; past the bound the oldest kept is forgotten.
KEPT_COOKIES = 1000
_CHECKED: dict[str, tuple[str, int]] = {}
# Taken to change what is kept: a server may answer requests in threads (runserver does), and
# two forgetting the same oldest cookie at once would fail one of them.
_CHANGING = threading.Lock()


class SessionStore(signed_cookies.SessionStore):
    def load(self):
        cookie = self.session_key
        kept = _CHECKED.get(cookie) if cookie else None
        if kept is None:
            data = super().load()  # checked by Django; {} and a new session if refused
            if data:
                _keep(cookie, data)
            return data
        payload, signed_at = kept
        if time.time() - signed_at > self.get_session_cookie_age():
            with _CHANGING:
                _CHECKED.pop(cookie, None)
            self.create()  # as Django's load does with an expired cookie
            return {}
        # Each request gets its own copy: a view may change its session.
        return json.loads(payload)


def _keep(cookie: str, data: dict) -> None:
    # The cookie is "payload:timestamp:signature" (django.core.signing.TimestampSigner).
    signed_at = signing.b62_decode(cookie.rsplit(":", 2)[-2])
    kept = (json.dumps(data), signed_at)
    with _CHANGING:
        if len(_CHECKED) >= KEPT_COOKIES:
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[cookie] = kept


def forget_checked_cookies(setting, **_kwargs) -> None:
    """Tests may change the key that signs the cookies, or how long a session lasts."""
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SESSION_COOKIE_AGE",
                   "SESSION_SERIALIZER"):
        with _CHANGING:
            _CHECKED.clear()


setting_changed.connect(forget_checked_cookies)
