"""The staff's login backend: Django's ModelBackend, except that the signed-in user of every
request comes with their roles in the same query (one query fewer on every staff page)."""

from django.contrib.auth.backends import ModelBackend
from django.db.models import Aggregate, CharField

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


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = with_roles(User._default_manager).get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
