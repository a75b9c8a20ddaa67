"""Each view names the roles it needs per method; a token needs one of them."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from repaircenter.orders.models import Order
from repaircenter.orders.workflow import Actor
from repaircenter.orders.workplace import Workplace, workplace

from .models import ApiToken

# The largest number an integer key in the URL may be (PostgreSQL's integer): a larger one is
# answered as not found instead of overflowing the query.
MAX_NUMBER = 2**31 - 1


def actor(request) -> Actor:
    """The workflow's actor for the token the request came with."""
    return Actor.api(request.auth)


class HasRole(BasePermission):
    """`view.roles`: a dict from method to the roles that may use it (the same sets the
    workflow and services check). A method not in the dict is refused to everyone."""

    def has_permission(self, request, view):
        if not isinstance(request.auth, ApiToken):
            return False  # DRF answers 401: no token, or not one of ours
        method = "GET" if request.method == "HEAD" else request.method
        handled = method.lower() in view.http_method_names and hasattr(view, method.lower())
        if method == "OPTIONS" or not handled:
            return True  # the view answers 405 for a method it does not have
        needed = view.roles.get(method, frozenset())
        if not actor(request).roles & needed:
            raise exceptions.PermissionDenied(
                _("This token's roles do not allow this; it needs one of: %(roles)s.")
                % {"roles": ", ".join(sorted(needed)) or _("none")}
            )
        number = view.kwargs.get("number")
        place = token_workplace(request) if number is not None else None
        if place is not None and place.allowed is not None and not place.visible(
                Order.objects.filter(number=min(number, MAX_NUMBER))).exists():
            # An order of a center the token does not work in is as if it did not exist.
            raise exceptions.NotFound(_("There is no such order."))
        return True


def token_workplace(request) -> Workplace:
    """The centers the token's account belongs to (read once per request)."""
    if not hasattr(request, "_token_workplace"):
        request._token_workplace = workplace(request.user, roles=actor(request).roles)
    return request._token_workplace
