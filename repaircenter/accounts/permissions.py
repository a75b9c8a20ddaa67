"""The one check every staff view makes: a logged-in, active user with one of the roles."""

import logging
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.views.defaults import permission_denied

log = logging.getLogger("repaircenter.roles")


def refusal(request, roles, who: str) -> None:
    """A role refusal is routine (a bookmark, a button another role sees): one INFO line, no
    traceback."""
    path = request.path.encode("unicode_escape").decode("ascii")  # one line, whatever was sent
    log.info("refused: %s %s for %s, who needs one of the roles: %s", request.method, path,
             who, ", ".join(sorted(roles)))


def role_required(*roles: str):
    """Let the view run only for a user holding one of `roles`; others get 403, strangers login."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user.has_role(*roles):
                refusal(request, roles, user.get_username())
                response = permission_denied(request, PermissionDenied())
                response._has_been_logged = True  # said above; Django would add a WARNING
                return response
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = frozenset(roles)
        return wrapped

    return decorator
