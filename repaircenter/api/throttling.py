"""Requests per token per minute, counted in the shared rate-limit table (core/ratelimit.py),
so that every worker process and machine counts against the same limit."""

import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from repaircenter.core.ratelimit import client_address, hit

from .models import ApiToken

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        if isinstance(request.auth, ApiToken):
            scope, who = "api", str(request.auth.pk)
            limit = settings.API_REQUESTS_PER_MINUTE
        else:  # the schema and the docs, which need no token: per address
            scope, who = "api-anon", client_address(request)
            limit = settings.API_ANONYMOUS_REQUESTS_PER_MINUTE
        return hit(scope, who, limit=limit, per=WINDOW)

    def wait(self):
        """Seconds until the current window ends and the count starts again."""
        return WINDOW - int(time.time()) % WINDOW
