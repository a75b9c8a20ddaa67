"""The customer's link token and the pickup code printed on the paper original.

The link is a capability: whoever holds it sees the order page. The pickup code is a password:
only a keyed digest of it is stored, so the readable code exists only on the customer's paper.
"""

import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

# No 0/O, 1/I/L: the code is read off paper and typed by a person when the scanner fails.
PICKUP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PICKUP_LENGTH = 10  # about 50 bits; five wrong tries lock issuance


def new_portal_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def portal_url(token: str) -> str:
    return f"{settings.SITE_URL}/o/{token}/"


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_LENGTH))


def format_pickup_code(code: str) -> str:
    """Groups of five for reading aloud and typing: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"


def normalize_pickup_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def pickup_code_digest(code: str) -> str:
    return salted_hmac("repaircenter.pickup-code", normalize_pickup_code(code)).hexdigest()


def pickup_code_matches(text: str, digest: str) -> bool:
    if not digest:
        return False
    return hmac.compare_digest(pickup_code_digest(text), digest)
