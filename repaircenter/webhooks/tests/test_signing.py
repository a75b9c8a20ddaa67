"""The signature a receiver checks: sign() against an HMAC computed here by hand, and verify()
both ways: the genuine request passes; a wrong secret, a changed body or timestamp, an old
timestamp, a missing or malformed header do not."""

import hashlib
import hmac

import pytest

from repaircenter.webhooks.signing import TOLERANCE, sign, verify

SECRET = "s3cret-for-signing-tests"
BODY = b'{"id":"7b1c","type":"order.created"}'
NOW = 1_767_225_600


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"sha256={expected}"
    assert sign(SECRET, str(NOW), BODY.decode()) == f"sha256={expected}"


def test_the_genuine_request_verifies():
    signature = sign(SECRET, NOW, BODY)
    assert verify(SECRET, timestamp=str(NOW), body=BODY, signature=signature, now=NOW)
    # A receiver's clock a little off either way is fine.
    assert verify(SECRET, timestamp=NOW, body=BODY, signature=signature, now=NOW + TOLERANCE)
    assert verify(SECRET, timestamp=NOW, body=BODY, signature=signature, now=NOW - TOLERANCE)


def test_a_signature_made_without_the_secret_is_detected():
    forged = sign("another-secret", NOW, BODY)
    assert not verify(SECRET, timestamp=NOW, body=BODY, signature=forged, now=NOW)


@pytest.mark.parametrize(
    ("timestamp", "body"),
    [
        (NOW, BODY.replace(b"created", b"deleted")),  # the body changed on the way
        (NOW + 1, BODY),  # the timestamp changed: the signature covers it
        (f"0{NOW}", BODY),  # the same number written otherwise is other text
    ],
)
def test_a_changed_request_is_detected(timestamp, body):
    signature = sign(SECRET, NOW, BODY)
    assert not verify(SECRET, timestamp=timestamp, body=body, signature=signature, now=NOW)


def test_a_replayed_request_is_refused_once_its_timestamp_is_old():
    signature = sign(SECRET, NOW, BODY)
    assert not verify(SECRET, timestamp=NOW, body=BODY, signature=signature,
                      now=NOW + TOLERANCE + 1)
    assert not verify(SECRET, timestamp=NOW, body=BODY, signature=signature,
                      now=NOW - TOLERANCE - 1)


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        (None, "valid"), (NOW, None), (NOW, ""), ("", "valid"), ("12a", "valid"),
        ("-5", "valid"), (f" {NOW}x", "valid"), (NOW, "sha256=" + "0" * 64),
        (NOW, "md5=abc"), ("١٢٣", "valid"),
    ],
)
def test_a_missing_or_malformed_part_is_refused(timestamp, signature):
    if signature == "valid":
        signature = sign(SECRET, NOW, BODY)
    assert not verify(SECRET, timestamp=timestamp, body=BODY, signature=signature, now=NOW)
