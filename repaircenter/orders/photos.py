"""Photos of the equipment taken at intake: checked, then re-encoded as clean JPEGs.

Decoding is what costs: a small PNG may hold 50 million pixels (47 KB of one colour), and eight
of them took a worker past its timeout. So every photo of a request is first only opened (its
header: format and size, no pixels), the pixels each will need decoded are added up, and a
request above PHOTO_MAX_REQUEST_PIXELS is refused before any is decoded. A JPEG is decoded
straight at the reduced scale it is stored at (Pillow's draft mode: 1/2, 1/4 or 1/8 in the
decoder), so a phone's photo costs a fraction of its pixels; other formats cost all of theirs.
"""

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
MAX_PIXELS = 50_000_000
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError,
              Image.DecompressionBombError)


@dataclass(frozen=True)
class Probe:
    upload: object
    name: str
    decode_pixels: int  # what re-encoding it will decode


def _unreadable(name: str) -> ValidationError:
    return ValidationError(_("%(name)s is not an image that can be read.") % {"name": name})


def probe_photo(upload) -> Probe:
    """Open `upload`'s header only: refuse what is not a photo, too large a file or too many
    pixels; say how many pixels re-encoding it will decode."""
    name = getattr(upload, "name", "photo")
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.")
            % {"name": name, "limit": settings.PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise ValidationError(_("%(name)s is not a photo.") % {"name": name})
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("%(name)s has too many pixels.") % {"name": name})
            if probe.format in ("JPEG", "MPO"):
                # Only sets the decoder's scale (no pixels decoded yet): the size it will give.
                probe.draft("RGB", (settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE))
            pixels = probe.width * probe.height
            probe.verify()
    except ValidationError:
        raise
    except UNREADABLE:
        raise _unreadable(name) from None
    return Probe(upload=upload, name=name, decode_pixels=pixels)


def reencode(probe: Probe) -> ContentFile:
    """The JPEG re-encoded from a probed upload, without metadata, at most PHOTO_MAX_SIDE on a
    side."""
    side = settings.PHOTO_MAX_SIDE
    try:
        probe.upload.seek(0)
        with Image.open(probe.upload) as image:
            image.draft("RGB", (side, side))  # a JPEG decodes at a reduced scale; others ignore it
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.info = {}  # no comment or other metadata carried over into the stored file
            image.thumbnail((side, side))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except UNREADABLE:
        raise _unreadable(probe.name) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")


def clean_photos(uploads) -> list[ContentFile]:
    """The photos of one request, re-encoded; refused all together, before any is decoded,
    when together they would cost more than PHOTO_MAX_REQUEST_PIXELS to decode."""
    probes = [probe_photo(upload) for upload in uploads]
    total = sum(probe.decode_pixels for probe in probes)
    if total > settings.PHOTO_MAX_REQUEST_PIXELS:
        raise ValidationError(
            _("These photos are too large to take in together (%(total)d megapixels; at most "
              "%(limit)d at once). Send fewer photos, or smaller ones: a phone's ordinary "
              "photos are fine.")
            % {"total": round(total / 1_000_000),
               "limit": settings.PHOTO_MAX_REQUEST_PIXELS // 1_000_000},
            code="too_many_pixels",
        )
    return [reencode(probe) for probe in probes]


def clean_photo(upload) -> ContentFile:
    """One photo (see clean_photos). Anything that is not an image Pillow can read, or is too
    large, is refused with a message naming the file."""
    return clean_photos([upload])[0]
