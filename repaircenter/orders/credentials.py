"""The customer's link token and the pickup code printed on the paper original.

The link is a capability: whoever holds it sees the order page. Its token is an HMAC, under the
server's secret key, of a random nonce of 128 bits; the order row keeps the nonce, a keyed digest
of the token (to find the order by its link) and the token's first characters (for staff to
recognise it), never the token itself. A copy of the database without the key opens no order.
The server rebuilds the token when it writes the customer a message; staff are shown it only
when it is made or replaced.

The pickup code is a password: only a keyed digest of it is stored, so the readable code exists
only on the customer's paper.
"""

import base64
import hmac
import secrets

from django.conf import settings
from django.utils.crypto import salted_hmac

# No 0/O, 1/I/L: the code is read off paper and typed by a person when the scanner fails.
PICKUP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PICKUP_LENGTH = 10  # about 50 bits; five wrong tries lock issuance


LINK_PREFIX_LENGTH = 6  # what staff see of a link: enough to tell two apart on the phone


def new_portal_nonce() -> str:
    return secrets.token_hex(16)  # 128 bits


def portal_token(nonce: str) -> str:
    """The link's token for a nonce: 192 bits of HMAC, 32 URL-safe characters."""
    mac = salted_hmac("repaircenter.portal-link", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def portal_token_digest(token: str) -> str:
    """What the order row keeps of its link, to find the order when the link is opened."""
    return salted_hmac("repaircenter.portal-link-digest", token, algorithm="sha256").hexdigest()


def portal_token_prefix(token: str) -> str:
    return token[:LINK_PREFIX_LENGTH]


def new_portal_link() -> dict:
    """The columns of a new link: the nonce, the digest and the prefix of its token."""
    nonce = new_portal_nonce()
    token = portal_token(nonce)
    return {"portal_nonce": nonce, "portal_token_digest": portal_token_digest(token),
            "portal_token_prefix": portal_token_prefix(token)}


def portal_url(token: str) -> str:
    return f"{settings.SITE_URL}/o/{token}/"


def portal_url_hint(prefix: str) -> str:
    """The link as staff see it between its making and its replacement: its first characters."""
    return f"{settings.SITE_URL}/o/{prefix}…/"


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
