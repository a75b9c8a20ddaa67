import time
from contextlib import suppress

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.middleware import AuthenticationMiddleware, get_user
from django.core.exceptions import ValidationError
from django.utils import translation

from .backends import forget_user
from .models import User

LAST_SEEN_KEY = "last_seen"
# What a request reads and never writes (RFC 9110's safe methods): it may be answered for a
# user's row kept a minute (accounts/backends.py); any other reads the row anew.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class StaffAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's `request.user`, from the row its server keeps a minute for a request that only
    reads; a request that may write (a form posted, an API call that changes something) is
    checked against the user's row as it is now: deactivated, signed out everywhere or without
    the role a minute ago on another server, it is refused. A request with a session has its user
    read at once rather than when first asked."""

    def process_request(self, request):
        if request.method not in SAFE_METHODS:
            # No one signed in, or no id of a user: nothing kept to forget.
            with suppress(KeyError, ValidationError):
                forget_user(User._meta.pk.to_python(request.session[SESSION_KEY]))
        super().process_request(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            # Someone with a session, staff: every page of theirs asks the user a score of
            # things (signed in? roles, language, name), each through Django's lazy wrapper.
            # Read now, they are asked of the user itself.
            request.user = get_user(request)


class IdleTimeoutMiddleware:
    """Logs a staff user out after SESSION_IDLE_TIMEOUT seconds without a request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
            elif (now - last_seen >= settings.SESSION_TOUCH_SECONDS
                  or LAST_SEEN_KEY not in request.session):
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


class StaffLanguageMiddleware:
    """A member of staff who chose a language in their profile gets the staff pages in it,
    whatever the browser asks for; others keep LocaleMiddleware's choice (the browser's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request.user, "language", "") if request.user.is_authenticated else ""
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
