from functools import cached_property, lru_cache

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .roles import STAFF_ROLES


class User(AbstractUser):
    """A member of staff. Roles are the Django groups named after `Role` values."""

    # The staff pages' language; empty: the browser's.
    language = models.CharField(_("language"), max_length=8, blank=True, default="",
                                db_default="", choices=settings.LANGUAGES)

    # Sessions live in a signed cookie (settings.SESSION_ENGINE), which the server cannot delete:
    # logging out moves this on, and every cookie signed in before it stops working.
    session_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password (a new password signs every session out), with the epoch.
        return session_auth_hash(f"{self.password}:{self.session_epoch}",
                                 settings.SECRET_KEY if secret is None else secret)

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        if "role_names" in self.__dict__:  # read with the user (accounts/backends.py)
            names = self.role_names.split(",") if self.role_names else ()
        else:
            names = self.groups.values_list("name", flat=True)
        return frozenset(names) & STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def __str__(self) -> str:
        return self.name_of(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """How a member of staff is named (their full name, else their username), from the
        columns alone: for a list's rows, without making the user."""
        return f"{first_name} {last_name}".strip() or username


@lru_cache(maxsize=256)
def session_auth_hash(signed: str, secret: str) -> str:
    """What a user's session is checked against on every request (Django's get_user): the same
    for the same password, epoch and key, so each process works it out once for each."""
    return salted_hmac("repaircenter.accounts.User.session", signed, secret=secret,
                       algorithm="sha256").hexdigest()
