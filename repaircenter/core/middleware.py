"""Headers for the staff's pages (under /staff/ and the login pages under /accounts/), set on
every answer they give (pages, redirects, 403s, 404s), so that no path leaves them out.

Staff pages show customers' names, phones and addresses: no cache (the browser's, a proxy's,
the back button on a shared counter computer) keeps them (`Cache-Control: no-store`). Their
Content-Security-Policy lets only the site's own files run: no inline script, no inline style,
nothing from elsewhere, no framing; an issued document's page allows its own style element
by its hash (documents/views.py). (The admin under /admin/ keeps Django's own rules: its
pages run inline scripts.)"""

import base64
import hashlib
import re

from django.utils.cache import patch_cache_control

STAFF_PREFIXES = ("/staff/", "/accounts/")


def content_security_policy(*, inline_styles: tuple[str, ...] = ()) -> str:
    """The staff pages' policy; `inline_styles` are style elements' texts allowed by their
    SHA-256 (an issued document carries its own styles: it never changes)."""
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"
        for text in inline_styles
    ]
    return "; ".join([
        "default-src 'none'",
        "script-src 'self'",
        " ".join(["style-src 'self'", *hashes]),
        "img-src 'self' data:",  # Pico draws its icons as data: SVG
        "connect-src 'self'",  # htmx and the chat's polling
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


CONTENT_SECURITY_POLICY = content_security_policy()
STYLE_ELEMENT = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def inline_styles(html: str) -> tuple[str, ...]:
    return tuple(STYLE_ELEMENT.findall(html))


class StaffPageHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(STAFF_PREFIXES):
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            patch_cache_control(response, no_store=True, private=True)
        return response
