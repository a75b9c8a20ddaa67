"""Tokens other systems use to call the HTTP API, and the answers kept for repeated requests."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "rc_"


def token_digest(token: str) -> str:
    """Only this SHA-256 of a token is stored; the token itself is shown once, at creation."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """256 random bits, with a prefix that tells what it is when it turns up in a log."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A token a manager gives another system. It acts with the roles given to it, as staff of
    those roles would, through an account of its own that the order history names."""

    name = models.CharField(
        _("name"), max_length=100, unique=True,
        help_text=_("Which system uses it, e.g. “Accounting” or “Shop website”."),
    )
    # Role names (accounts.roles.Role values); the workflow checks them as a user's groups.
    roles = models.JSONField(_("roles"), default=list)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the token, to tell tokens apart in the admin and in logs.
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    # The account whose name the order history shows for what this token did; it cannot log in.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
        editable=False, verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotentRequest(models.Model):
    """The answer given to a request that carried an `Idempotency-Key`: the same key with the
    same body gets this answer again; with another body, a refusal. Unique per token, so the
    first of two requests at once wins and the other reads its answer."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # SHA-256 of the method, the path and the body as parsed (keys sorted).
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_token_and_key"),
        ]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"
