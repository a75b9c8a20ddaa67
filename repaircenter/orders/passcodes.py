"""The device's passcode: a PIN, a password, or an Android pattern on the 3×3 grid.

Stored only as a Fernet token (AES-128-CBC with an HMAC-SHA256, from `cryptography`) under
settings.PASSCODE_KEY, which comes from the environment or a file in the data folder, never
from the database. Read back only by `workflow.show_passcode`, which records each viewing;
deleted when the order is issued or disposed of (`workflow.erase_passcodes`).

A pattern is written as the grid's points in the order drawn, 1 to 9 row by row:

    1 2 3
    4 5 6
    7 8 9
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .intake_records import PasscodeKind

PATTERN_MIN_POINTS = 4
PASSCODE_MAX = 128


def _fernet() -> Fernet:
    return Fernet(settings.PASSCODE_KEY.encode())


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # The key was changed since it was saved: the passcode cannot be read back.
        raise ValidationError(_("This passcode was saved under another key and cannot be "
                                "read; ask the customer for it again.")) from None


def clean_passcode(kind: str, text: str) -> str:
    """The passcode as stored, or a ValidationError that says what is wrong with it."""
    if kind not in PasscodeKind.values:
        raise ValidationError(_("Choose whether the passcode is a PIN, a password or a pattern."))
    if kind == PasscodeKind.PATTERN:
        return clean_pattern(text)
    if kind == PasscodeKind.PIN:
        digits = "".join(text.split())
        if not digits.isdigit() or not 3 <= len(digits) <= 16:
            raise ValidationError(_("A PIN is 3 to 16 digits."))
        return digits
    if not text or len(text) > PASSCODE_MAX:
        raise ValidationError(_("Type the password as the customer gives it (at most %(n)d "
                                "characters).") % {"n": PASSCODE_MAX})
    return text


def clean_pattern(text: str) -> str:
    """A pattern as points 1–9 in the order drawn (any separators between them): at least
    four points, none twice."""
    points = [ch for ch in text if not ch.isspace() and ch not in "-,>→·."]
    if not points or not all(ch in "123456789" for ch in points):
        raise ValidationError(_("A pattern is the grid's points 1 to 9 in the order drawn."))
    if len(points) < PATTERN_MIN_POINTS:
        raise ValidationError(_("A pattern joins at least %(n)d points; this one has %(m)d.")
                              % {"n": PATTERN_MIN_POINTS, "m": len(points)})
    if len(set(points)) != len(points):
        raise ValidationError(_("A pattern passes each point once; this one repeats a point."))
    return "".join(points)


def pattern_rows(pattern: str) -> list[list[int]]:
    """The 3×3 grid with each point's place in the pattern (0: not used), for drawing it."""
    order = {int(ch): i + 1 for i, ch in enumerate(pattern)}
    return [[order.get(row * 3 + col + 1, 0) for col in range(3)] for row in range(3)]
