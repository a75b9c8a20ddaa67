"""When the database cannot be reached (it restarts, the network between is down, SQLite is
locked for too long), every request that needs it fails the same way: the API answers 503 in
its error shape, pages a plain 503 page, both with Retry-After, never a stack trace; the log
gets one line per request instead of a traceback."""

import logging

from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext_lazy as _

log = logging.getLogger("repaircenter.outage")

# The errors of a database that cannot be reached or used now, as opposed to a bug in a query
# (ProgrammingError, IntegrityError, DataError), which stays a 500.
UNREACHABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 60
MESSAGE = _("The service cannot reach its database just now; nothing was changed. Try again "
            "after Retry-After seconds.")


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, UNREACHABLE)


def answered(request, response, error: BaseException):
    """Log the outage in one line and mark `response` (a 503) as logged, with Retry-After."""
    path = request.path.encode("unicode_escape").decode("ascii")
    first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    log.error("database unavailable: %s %s answered 503 (%s: %s)", request.method, path,
              error.__class__.__name__, first_line)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True
    return response
