import sys

from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import outage


@require_GET
@never_cache
def healthz(request):
    """200 when the database answers, 503 when it does not; for load balancers and monitors."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
@never_cache
def livez(request):
    """200 with no work at all (no database, no template): the process is up. For liveness
    probes, and the floor a load test compares pages with."""
    return HttpResponse(b"ok\n", content_type="text/plain")


def server_error(request):
    """handler500: a database that cannot be reached is not a bug: the API answers 503 in its
    error shape, pages a plain 503 page; anything else is Django's plain 500 page."""
    error = sys.exc_info()[1]
    if not outage.is_outage(error):
        return defaults.server_error(request)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"error": {
            "code": "unavailable", "message": outage.MESSAGE, "fields": {}}}, status=503)
    else:
        # No request context: its processors would ask the database again.
        response = HttpResponse(render_to_string("core/unavailable.html"), status=503)
    return outage.answered(request, response, error)


@require_GET
def favicon(request):
    """The icon of the staff pages, for browsers that ask /favicon.ico."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
