"""The CSRF token of the Jinja pages' forms (core/csrf_token.py): Django's, masked faster."""

from collections import Counter

from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    _unmask_cipher_token,
    get_token,
)

from repaircenter.core.csrf_token import masked_token


def test_the_token_is_the_secret_masked_anew_as_django_masks_it(rf):
    request = rf.get("/")
    secret = "a" * 10 + "Z9" * 11
    request.META["CSRF_COOKIE"] = secret
    tokens = {masked_token(request) for _ in range(50)}
    assert len(tokens) == 50  # a new mask each time
    for token in tokens:
        assert len(token) == 2 * CSRF_SECRET_LENGTH
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == secret
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True  # its cookie renewed, as Django's


def test_a_request_without_a_secret_gets_one_from_django(rf):
    request = rf.get("/")
    token = masked_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == CSRF_SECRET_LENGTH and _unmask_cipher_token(token) == secret
    assert _unmask_cipher_token(get_token(request)) == secret


def test_every_letter_of_the_mask_is_as_likely_as_any_other(rf):
    """Bytes taken modulo 62 letters without leaving any out would draw the first eight letters
    a quarter more often than the rest (5 bytes in 256 against 4)."""
    request = rf.get("/")
    request.META["CSRF_COOKIE"] = "x" * CSRF_SECRET_LENGTH
    drawn = Counter("".join(masked_token(request)[:CSRF_SECRET_LENGTH] for _ in range(20_000)))
    expected = 20_000 * CSRF_SECRET_LENGTH / len(CSRF_ALLOWED_CHARS)  # 10,323 each
    assert set(drawn) == set(CSRF_ALLOWED_CHARS)
    assert all(abs(count - expected) < 6 * expected ** 0.5 for count in drawn.values())


def test_a_token_changed_on_its_way_is_refused(receptionist):
    import re

    from django.test import Client
    from django.urls import reverse

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(receptionist)
    page = strict.get("/staff/search/?q=").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    changed = token[:-1] + ("a" if token[-1] != "a" else "b")
    assert strict.post(reverse("logout"), {"csrfmiddlewaretoken": changed}).status_code == 403
    assert strict.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302
