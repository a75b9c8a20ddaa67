"""The staff's login backend: Django's ModelBackend, except that the signed-in user of every
request comes with their roles in the same query, and that each app server keeps that row a
minute (one query fewer on every staff page)."""

from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import Aggregate, CharField

from repaircenter.core.kept_per_process import KeptPerProcess
from repaircenter.core.statements import KeptStatement

from .models import User


class Joined(Aggregate):
    """The values of a column, comma-joined (PostgreSQL's string_agg, SQLite's group_concat)."""

    function = "STRING_AGG"
    template = "%(function)s(%(distinct)s%(expressions)s, ',')"
    allow_distinct = True
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite takes DISTINCT only with its default separator, which is a comma too.
        return super().as_sql(compiler, connection, function="GROUP_CONCAT",
                              template="%(function)s(%(distinct)s%(expressions)s)", **extra)


def with_roles(users):
    """Users with `role_names`, what `User.roles` reads instead of a query of its own."""
    return users.annotate(role_names=Joined("groups__name", distinct=True))


# Read on every staff request: its SQL compiled once (core/statements.py).
_USER = KeptStatement(lambda pk: with_roles(User._default_manager).filter(pk=pk))

# Every staff page needs the signed-in user's row with their roles, and it changes a few times
# a day: each app server keeps it a minute (core/kept_per_process.py), as it keeps the centers
# (orders/workplace.py), and the one where it changes forgets it at once (the receivers below,
# connected in accounts/apps.py; logging out calls `user_changed`). So a user deactivated,
# signed out everywhere or given other roles is so on that server at once, on the others within
# the minute; and a request that may write reads the row anew whatever is kept
# (accounts/middleware.py), so a row kept too long allows a minute's reading, never a change.
# The row is kept, not the user: each request makes its own User of it, which it may change
# without the next one seeing it.
USER_KEPT_SECONDS = 60
_USER_ROWS = KeptPerProcess(lambda user_id: _USER.rows(user_id), USER_KEPT_SECONDS)


def forget_user(user_id: int | None) -> None:
    """Read this user's row anew on their next request (None: every user's)."""
    _USER_ROWS.forget(user_id)


def user_changed(user_id: int | None) -> None:
    """A user's row or roles changed (None: any user's): forgotten now, and again when the
    change commits, as a request reading in between would keep the row as it was."""
    forget_user(user_id)
    transaction.on_commit(lambda: forget_user(user_id))


def user_saved_or_deleted(sender, instance, created=False, **kwargs) -> None:
    if not created:  # a user just made has nothing kept
        user_changed(instance.pk)


def roles_given_or_taken(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:  # the user's roles
        user_changed(instance.pk)
    elif pk_set:  # a role's holders
        for user_id in pk_set:
            user_changed(user_id)
    else:  # a role's every holder taken off
        user_changed(None)


def role_saved_or_deleted(sender, instance, created=False, **kwargs) -> None:
    if not created:  # renamed or gone: whoever held it
        user_changed(None)


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        if not isinstance(user_id, int):  # the session keeps the id as the key's column does
            return super().get_user(user_id)
        found = _USER.make(_USER_ROWS.get(user_id))
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None
