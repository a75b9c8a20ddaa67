"""The signature on every webhook delivery, and the check a receiver makes (this module is all a
Python receiver needs; README "Webhooks" says the same in words).

    X-RepairCenter-Timestamp: 1767225600
    X-RepairCenter-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>

The timestamp is the second the attempt was made, so a retry a day later carries a fresh one;
the receiver refuses a timestamp too far from its clock (a replayed request) and compares the
signature in constant time.
"""

import hashlib
import hmac
import time

PREFIX = "sha256="
TOLERANCE = 300  # seconds between the sender's timestamp and the receiver's clock


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The X-RepairCenter-Signature header's value for `body` sent at `timestamp`."""
    message = f"{timestamp}.".encode() + _bytes(body)
    return PREFIX + hmac.new(_bytes(secret), message, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    *,
    timestamp: int | str | None,
    body: str | bytes,
    signature: str | None,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether `signature` is the sender's for `body` at `timestamp`, and `timestamp` is within
    `tolerance` seconds of `now`. Any missing or malformed part is simply False."""
    if not signature or timestamp is None:
        return False
    raw = str(timestamp).strip()
    if not raw.isascii() or not raw.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(raw)) > tolerance:
        return False
    # Over the header's text as sent: the signature covers exactly those characters.
    return hmac.compare_digest(sign(secret, raw, body), signature.strip())
