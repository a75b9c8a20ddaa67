"""The photos of an intake form that came back with an error: a browser cannot put files back
into a file field, so the photos already read (and re-encoded, orders/photos.py) are kept in the
data folder (or bucket) under the form's intake key until the form is sent again; the page lists
them, ticked, and the next submission saves them with the order."""

from __future__ import annotations

import datetime
import re
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

STAGING = "intake-staging"
NAME = re.compile(r"^[0-9a-f]{32}\.jpg$")  # as clean_photo names the JPEG it makes
# A form left with an error for this long is abandoned: its kept photos are deleted the next
# time photos are kept.
ABANDONED = datetime.timedelta(days=1)


def _path(key: uuid.UUID, name: str) -> str:
    return f"{STAGING}/{key.hex}/{name}"


def stage(key: uuid.UUID, photos: list[ContentFile]) -> list[str]:
    """Keep `photos` for the form of `key`; their names, for the page to send back."""
    if photos:
        forget_abandoned()
    names = []
    for photo in photos:
        name = uuid.uuid4().hex + ".jpg"
        photo.seek(0)
        default_storage.save(_path(key, name), ContentFile(photo.read()))
        names.append(name)
    return names


def kept(key: uuid.UUID | None, names: list[str]) -> list[str]:
    """The names sent back that are photos kept for this form (anything else is ignored)."""
    if key is None:
        return []
    return [n for n in dict.fromkeys(names)
            if NAME.match(n) and default_storage.exists(_path(key, n))]


def load(key: uuid.UUID, names: list[str]) -> list[ContentFile]:
    photos = []
    for name in names:
        with default_storage.open(_path(key, name), "rb") as handle:
            photos.append(ContentFile(handle.read(), name=name))
    return photos


def discard(key: uuid.UUID | None, names: list[str]) -> None:
    for name in names if key is not None else ():
        default_storage.delete(_path(key, name))


def forget_abandoned(now: datetime.datetime | None = None) -> int:
    """Delete the photos kept for forms nobody sent again within ABANDONED; how many."""
    now = now or timezone.now()
    try:
        folders, _files = default_storage.listdir(STAGING)
    except FileNotFoundError:
        return 0
    deleted = 0
    for folder in folders:
        for name in default_storage.listdir(f"{STAGING}/{folder}")[1]:
            path = f"{STAGING}/{folder}/{name}"
            if default_storage.get_modified_time(path) < now - ABANDONED:
                default_storage.delete(path)
                deleted += 1
    return deleted
