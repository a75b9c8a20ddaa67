import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils import translation

LAST_SEEN_KEY = "last_seen"


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
