"""The CSRF check of the forms on the customer's order pages.

Those pages send `Referrer-Policy: no-referrer` so that the secret link never leaks in a Referer.
The price: browsers then send their forms with `Origin: null` (the Fetch standard serialises the
origin as null under that policy), which Django's origin check refuses. The views that take those
forms are exempt from the site-wide check and make this one instead: Django's own, except that a
null origin goes on to the CSRF token check, which applies in full; any other origin is checked
as everywhere else. (Whoever could forge a post there must know the link already, and the link
alone opens the order.)
"""

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt

from .middleware import ORDER_PAGES


class OrderPageCsrf(CsrfViewMiddleware):
    def _origin_verified(self, request):
        if request.META.get("HTTP_ORIGIN") == "null" and request.path_info.startswith(
            ORDER_PAGES
        ):
            return True
        return super()._origin_verified(request)


_order_page_csrf_protect = decorator_from_middleware(OrderPageCsrf)


def order_page_csrf(view):
    """Use on a view under /o/ that takes a form, as the outermost decorator."""
    return csrf_exempt(_order_page_csrf_protect(view))
