"""A customer's signature drawn on the tablet's pad, kept as evidence of an in-person decision."""

import base64
import binascii
import io
import uuid

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageChops, UnidentifiedImageError

PREFIX = "data:image/png;base64,"
MAX_BYTES = 512 * 1024
MAX_SIDE = 2000


def save_signature(order_id: int, data_url: str) -> str:
    """Store the pad's PNG (a data: URL) re-encoded, and return its path in the media storage."""
    return save_signature_png(order_id, check_signature(data_url))


def check_signature(data_url: str) -> bytes:
    """The pad's PNG (a data: URL) checked and re-encoded; ValidationError if it is not a pad
    drawing, or if nothing was drawn on it (an empty canvas)."""
    if not data_url.startswith(PREFIX):
        raise ValidationError(_("The signature did not come from the signature pad."))
    try:
        raw = base64.b64decode(data_url[len(PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_("The signature could not be read; ask for it again.")) from None
    if len(raw) > MAX_BYTES:
        raise ValidationError(_("The signature image is too large."))
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.format != "PNG" or max(image.size) > MAX_SIDE:
                raise ValidationError(_("The signature is not a pad drawing."))
            clean = image.convert("LA")
            out = io.BytesIO()
            clean.save(out, format="PNG", optimize=True)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise ValidationError(_("The signature could not be read; ask for it again.")) from None
    if not has_ink(clean):
        raise ValidationError(_("The signature pad is empty: the customer has to sign on it."))
    return out.getvalue()


def has_ink(image: Image.Image) -> bool:
    """Something dark was drawn: a pixel both visible (alpha) and darker than light grey."""
    lightness, alpha = image.split()
    visible = alpha.point(lambda v: 255 if v > 32 else 0)
    dark = lightness.point(lambda v: 255 if v < 160 else 0)
    return ImageChops.multiply(visible, dark).getbbox() is not None


def save_signature_png(order_id: int, png: bytes) -> str:
    path = f"signatures/{order_id}/{uuid.uuid4().hex}.png"
    return default_storage.save(path, ContentFile(png))
