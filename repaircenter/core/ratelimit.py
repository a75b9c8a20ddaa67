"""Rate limits for what strangers can reach: a counter per address and window in the cache.

The cache is a database table (settings.CACHES), so every gunicorn worker and every machine
counts against the same limit.
"""

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse


def client_address(request) -> str:
    """The caller's address; behind REPAIRCENTER_PROXY_COUNT proxies, the one they saw."""
    proxies = settings.AXES_IPWARE_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _now() -> float:
    return time.time()


def hit(scope: str, who: str, *, limit: int, per: int) -> bool:
    """Count one request; False once `who` made more than `limit` in the current `per` seconds."""
    window = int(_now() // per)
    key = f"ratelimit:{scope}:{who}:{window}"
    if cache.add(key, 1, timeout=per + 1):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=per + 1)
        return True
    return count <= limit


def rate_limit(scope: str, *, limit: int, per: int):
    """Refuse with 429 and Retry-After once an address goes over `limit` requests per `per`
    seconds."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not hit(scope, client_address(request), limit=limit, per=per):
                response = HttpResponse(
                    "Too many requests; wait a moment and try again.\n",
                    status=429, content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(per)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
