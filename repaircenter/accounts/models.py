from functools import cached_property

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import STAFF_ROLES


class User(AbstractUser):
    """A member of staff. Roles are the Django groups named after `Role` values."""

    # The staff pages' language; empty: the browser's.
    language = models.CharField(_("language"), max_length=8, blank=True, default="",
                                db_default="", choices=settings.LANGUAGES)

    @cached_property
    def roles(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        return frozenset(self.groups.values_list("name", flat=True)) & STAFF_ROLES

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    def __str__(self) -> str:
        return self.get_full_name() or self.username
