from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


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


@require_GET
def favicon(request):
    """The icon of the staff pages, for browsers that ask /favicon.ico."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
