"""Copy a data folder's documents and photos into the bucket, checking each copy's SHA-256."""

import hashlib
import sys
from pathlib import Path

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

CHUNK = 1024 * 1024


def sha256_of(handle) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def stored_sha256(storage, name: str) -> str | None:
    try:
        with storage.open(name, "rb") as handle:
            return sha256_of(handle)
    except FileNotFoundError:
        return None


class Command(BaseCommand):
    help = ("Copy the files of a data folder (documents, photos, signatures) into the bucket of "
            "REPAIRCENTER_STORAGE_URL under the same names, reading each copy back to check its "
            "SHA-256. Files already in the bucket with the same digest are skipped, so a run "
            "that stopped half-way is simply started again. The data folder is left as it is.")

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", default=None,
                            help="the media folder to copy (default: REPAIRCENTER_DATA/media)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, source=None, no_progress=False, **options):
        root = Path(source or settings.MEDIA_ROOT).resolve()
        if not root.is_dir():
            raise CommandError(f"There is no folder {root}.")
        storage = storages["default"]
        if isinstance(storage, FileSystemStorage):
            raise CommandError("REPAIRCENTER_STORAGE_URL names no bucket: set it (and the "
                               "REPAIRCENTER_S3_* variables) to the bucket to copy into.")
        files = sorted(path for path in root.rglob("*") if path.is_file())
        copied = skipped = 0
        failed: list[str] = []
        show = not no_progress
        for index, path in enumerate(files, 1):
            name = path.relative_to(root).as_posix()
            with path.open("rb") as handle:
                local = sha256_of(handle)
            there = stored_sha256(storage, name)
            if there == local:
                skipped += 1
            else:
                if there is not None:
                    storage.delete(name)  # another file under this name: the folder's wins
                with path.open("rb") as handle:
                    saved = storage.save(name, File(handle, name=name))
                if saved != name or stored_sha256(storage, name) != local:
                    failed.append(name)
                    if saved != name:
                        storage.delete(saved)
                else:
                    copied += 1
            if show:
                self._progress(index, len(files))
        if show and files:
            sys.stderr.write("\n")
        self.stdout.write(f"Files in {root}: {len(files)}; copied and checked: {copied}; "
                          f"already in the bucket: {skipped}; failed: {len(failed)}")
        for name in failed:
            self.stderr.write(f"  failed: {name} (its copy does not match; run again)")
        if failed:
            raise CommandError(f"{len(failed)} files were not copied; run the command again.")

    def _progress(self, done: int, total: int, width: int = 30) -> None:
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files "
                         f"{100 * done // total:3d}%")
        sys.stderr.flush()
