"""`Idempotency-Key` on payments and new purchase orders: the same key with the same body gets
the first answer again and records nothing more; the same key with another body is refused with
409.

Each answer is kept in IdempotentRequest, unique on (token, key), written in the transaction of
the payment (or purchase order): of two requests at once with one key, one records the payment
and its answer, and the other, stopped by the unique constraint (or by the payment's own unique
key, which is derived from the token and the key), reads that answer. A request that was
refused (a 4xx) leaves no answer behind, so the client can correct it and send it again with
the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework.response import Response

from repaircenter.orders.workflow import WorkflowError

from .errors import ApiError
from .models import ApiToken, IdempotentRequest

KEY_PATTERN = r"^[A-Za-z0-9._:\-]{1,200}$"
HEADER = "Idempotency-Key"
# Payments made through the API get a payment key derived from the token and the client's key.
NAMESPACE = uuid.UUID("4c2a5d0e-6f1b-4c8e-9a57-0b7d8f3e2a19")


def key_from(request) -> str:
    key = request.headers.get(HEADER, "")
    if not key:
        raise ApiError(400, "idempotency_key_missing", _(
            "Send an Idempotency-Key header (a UUID, say) with each payment or purchase order, "
            "and the same key again if you repeat the request."))
    if not re.fullmatch(KEY_PATTERN, key):
        raise ApiError(400, "invalid", _(
            "The Idempotency-Key is 1 to 200 letters, digits, dots, dashes, colons or "
            "underscores."))
    return key


def payment_key(token: ApiToken, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{token.pk}:{key}")


def _digest(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _replay(stored: IdempotentRequest, digest: str) -> Response:
    if stored.request_digest != digest:
        raise ApiError(409, "idempotency_key_reused", _(
            "This Idempotency-Key was already used for a different request. Use a new key for "
            "each new payment or purchase order."))
    return Response(stored.body, status=stored.status, headers={"Idempotent-Replayed": "true"})


def _stored(request, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(token=request.auth, key=key).first()


def once(request, key: str, answer: Callable[[], Response]) -> Response:
    """The answer kept for (token, key), or `answer()`, kept with the request's digest."""
    digest = _digest(request)
    stored = _stored(request, key)
    if stored is not None:
        return _replay(stored, digest)
    try:
        with transaction.atomic():
            response = answer()
            IdempotentRequest.objects.create(
                token=request.auth, key=key, request_digest=digest,
                status=response.status_code, body=response.data,
            )
    except IntegrityError:
        # Another request with this key was answered a moment ago: its answer stands.
        stored = _stored(request, key)
        if stored is None:
            raise
        return _replay(stored, digest)
    except WorkflowError:
        # A request with this key but another body may have raced ahead and been recorded.
        stored = _stored(request, key)
        if stored is not None:
            return _replay(stored, digest)
        raise
    return response
