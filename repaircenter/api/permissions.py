"""Each view names the roles it needs per method; a token needs one of them."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from repaircenter.orders.workflow import Actor

from .models import ApiToken


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
        return True
