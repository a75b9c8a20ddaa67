"""Photos of the equipment taken at intake: checked, then re-encoded as clean JPEGs."""

import io
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}
MAX_PIXELS = 50_000_000


def clean_photo(upload) -> ContentFile:
    """A JPEG re-encoded from the upload, without metadata, at most PHOTO_MAX_SIDE on a side.

    Anything that is not an image Pillow can read, or is too large, is refused with a message
    naming the file.
    """
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
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.info = {}  # no comment or other metadata carried over into the stored file
            image.thumbnail((settings.PHOTO_MAX_SIDE, settings.PHOTO_MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=85, optimize=True)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("%(name)s is not an image that can be read.") % {"name": name}
        ) from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg")
