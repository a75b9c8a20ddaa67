"""Headers for the public pages, set on every answer they give (pages, 404s, 429s, refused
forms), so that no error path leaves them out."""

from repaircenter.core.middleware import STAFF_PREFIXES as STAFF_PAGES

# The pages staff use have their own rules (core/middleware.py; the admin runs inline scripts).
STAFF_PREFIXES = (*STAFF_PAGES, "/admin/")
ORDER_PAGES = "/o/"

# Only this site's own files: no inline script or style, no plug-ins, no framing, no <base>.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Pico draws its icons as data: SVG
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
])


class PublicPageHeadersMiddleware:
    """A strict Content-Security-Policy on every public page. The order pages (/o/…) open with
    a secret link, so they also send no Referer anywhere, are not indexed, and are not kept by
    any cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        path = request.path_info
        if path.startswith(STAFF_PREFIXES):
            return response
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if path.startswith(ORDER_PAGES):
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Robots-Tag"] = "noindex, nofollow"
            response.headers["Cache-Control"] = "no-store"
        return response
