"""Making and revoking API tokens (the admin calls these)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import STAFF_ROLES

from .models import ApiToken, new_token, token_digest


@transaction.atomic
def create_token(*, name: str, roles: list[str], created_by: User | None,
                 centers=()) -> tuple[ApiToken, str]:
    """A new token with `roles`, working in `centers`; returns it and the token text, which is
    never shown again.

    The token gets an account of its own that cannot log in, so that the order history says
    which system made each change."""
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    text = new_token()
    account = User(
        username=f"api-{secrets.token_hex(6)}",
        first_name=(_("API: %(name)s") % {"name": name})[:150],
        is_active=False,
    )
    account.set_unusable_password()
    account.save()
    token = ApiToken.objects.create(
        name=name, roles=sorted(roles), digest=token_digest(text), hint=text[:10],
        user=account, created_by=created_by,
    )
    account.centers.set(centers)
    return token, text


def revoke_tokens(*, tokens) -> int:
    """Revoke the tokens given (a queryset); the next request with any of them gets 401."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
