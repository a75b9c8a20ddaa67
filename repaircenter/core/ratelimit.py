"""Rate limits for what strangers can reach: a counter per address and window, in a table.

The table is in the database, so every gunicorn worker and every machine counts against the same
limit; one statement per request both counts and reads the count (an upsert that starts the
count again when a new window begins). The worker deletes the counts of windows long over
(forget_expired_counts), so a request never pays for that. On PostgreSQL the table is unlogged
(migration core 0008): its commits do not wait for the disk, and a crash only empties it.
"""

import time
from functools import wraps

from django.conf import settings
from django.db import connection
from django.http import HttpResponse
from django.template.loader import render_to_string

from .models import RateCount


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


def _upsert_sql() -> str:
    """INSERT the first hit of a key, or add one to its count (one again in a new period),
    returning the count: SQLite 3.35+ and PostgreSQL both speak it."""
    q = connection.ops.quote_name
    table, key, period, hits, expires = (
        q(RateCount._meta.db_table), q("key"), q("period"), q("hits"), q("expires")
    )
    return (
        f"INSERT INTO {table} ({key}, {period}, {hits}, {expires}) "  # noqa: S608 — names
        f"VALUES (%s, %s, 1, %s) ON CONFLICT ({key}) DO UPDATE SET "  # from the model only
        f"{hits} = CASE WHEN {table}.{period} = excluded.{period} "
        f"THEN {table}.{hits} + 1 ELSE 1 END, "
        f"{period} = excluded.{period}, {expires} = excluded.{expires} "
        f"RETURNING {hits}"
    )


def hit(scope: str, who: str, *, limit: int, per: int) -> bool:
    """Count one request; False once `who` made more than `limit` in the current `per` seconds."""
    now = _now()
    window = int(now // per)
    key = f"{scope}:{per}:{who}"[:200]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [key, window, (window + 1) * per])
        count = cursor.fetchone()[0]
    return count <= limit


def forget_expired_counts() -> int:
    """Delete the counts of windows that have ended; the worker calls it with each sweep."""
    deleted, _ = RateCount.objects.filter(expires__lt=int(_now())).delete()
    return deleted


def too_many_requests(request, per: int, page: str | None = None) -> HttpResponse:
    """The 429 answer: plain text for machines, or `page` rendered for people."""
    if page:
        response = HttpResponse(
            render_to_string(page, {"wait_seconds": per}, request=request), status=429
        )
    else:
        response = HttpResponse(
            "Too many requests; wait a moment and try again.\n",
            status=429, content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(per)
    return response


def rate_limit(scope: str, *, limit: int | str, per: int, page: str | None = None):
    """Refuse with 429 and Retry-After once an address goes over `limit` requests per `per`
    seconds. `limit` may name a setting, read at each request; `page` is the template people
    see instead of a line of plain text."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            most = getattr(settings, limit) if isinstance(limit, str) else limit
            if not hit(scope, client_address(request), limit=most, per=per):
                return too_many_requests(request, per, page)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
