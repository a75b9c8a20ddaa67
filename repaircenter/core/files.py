"""The stored files (documents' PDFs, equipment and advice photos, signatures) and the rows that
name them: one rule, the file is written first and its row committed after, so a row never names
a missing file; this module cleans up what that order can leave behind, a file without a row.

That happens when the work between the two steps fails: a transaction that rolls back after a
photo was saved (the code that saves one deletes it again on the spot, once the database
confirms no row names it: `delete_unless_held`), a PDF whose row could not be written while
the database was down, or a process stopped between writing a file and recording it. The
orphan sweep is the backstop: it walks each area of the storage, asks the app that owns the
area which of the names its rows hold, and deletes the others once they are older than
ORPHAN_GRACE (younger ones may still be on their way to their row). One worker of the
deployment runs it every ORPHAN_SWEEP_INTERVAL; `repaircenter clean_files` runs it by hand.

The storage is the data folder's media/ or an S3-compatible bucket (settings.file_storage); the
sweep only uses what both offer: listdir, get_modified_time, delete.

Each app registers its areas in `AppConfig.ready()`, so `core` imports none of them.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from .ratelimit import hit

log = logging.getLogger("repaircenter.files")

BATCH = 500  # names asked about at once


@dataclass(frozen=True)
class Area:
    """A top folder of the storage (`photos/`) and the question its owner answers: which of
    these names, all in `folder`, do rows hold?"""

    prefix: str
    referenced: Callable[[str, list[str]], set[str]]


_areas: dict[str, Area] = {}


def register_area(prefix: str, referenced: Callable[[str, list[str]], set[str]]) -> None:
    _areas[prefix] = Area(prefix.strip("/"), referenced)


def areas() -> list[Area]:
    return sorted(_areas.values(), key=lambda area: area.prefix)


def delete_quietly(*names: str, storage=None) -> None:
    """Delete files that nothing refers to (a rolled-back row's photo); a failure is logged and
    left to the orphan sweep."""
    storage = storage or default_storage
    for name in names:
        if not name:
            continue
        try:
            storage.delete(name)
        except Exception:
            log.warning("files: could not delete %s; the orphan sweep will", name, exc_info=True)


def delete_unless_held(names: list[str], held: Callable[[list[str]], set[str]], *,
                       storage=None) -> None:
    """After a failure between writing files and committing their rows: delete the files that
    `held(names)` says no row names. The question goes to the database, because a commit whose
    answer was lost (the connection dropped) may have kept the rows after all; if it cannot be
    asked (the database is down), the files stay for the orphan sweep."""
    names = [name for name in names if name]
    if not names:
        return
    try:
        kept = held(names)
    except Exception:
        log.warning("files: could not ask whether %s are recorded; the orphan sweep will",
                    ", ".join(names))
        return
    delete_quietly(*(name for name in names if name not in kept), storage=storage)


def _walk(storage, folder: str) -> Iterator[tuple[str, list[str]]]:
    """Each folder under `folder` with the names (storage paths) of its files."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    if files:
        yield folder, [f"{folder}/{name}" for name in files]
    for sub in sorted(folders):
        yield from _walk(storage, f"{folder}/{sub}")


@dataclass
class SweepResult:
    looked_at: int = 0
    deleted: int = 0
    too_young: int = 0


def sweep_orphans(*, storage=None, grace: float | None = None, stop: threading.Event | None = None,
                  now: datetime.datetime | None = None, dry_run: bool = False) -> SweepResult:
    """Delete the files of every registered area that no row names, once older than `grace`
    seconds (ORPHAN_GRACE by default)."""
    storage = storage or default_storage
    grace = settings.ORPHAN_GRACE if grace is None else grace
    cutoff = (now or timezone.now()) - datetime.timedelta(seconds=grace)
    result = SweepResult()
    for area in areas():
        for folder, names in _walk(storage, area.prefix):
            if stop is not None and stop.is_set():
                return result
            for start in range(0, len(names), BATCH):
                batch = names[start:start + BATCH]
                result.looked_at += len(batch)
                held = area.referenced(folder, batch)
                for name in batch:
                    if name in held:
                        continue
                    try:
                        modified = storage.get_modified_time(name)
                    except FileNotFoundError:
                        continue  # deleted in the meantime
                    if modified > cutoff:
                        result.too_young += 1
                        continue
                    if not dry_run:
                        storage.delete(name)
                    log.info("files: deleted %s, which no row names", name)
                    result.deleted += 1
    return result


def orphan_round(stop: threading.Event) -> int:
    """The worker's round (core/worker.py): the sweep, once every ORPHAN_SWEEP_INTERVAL for the
    whole deployment. Every worker asks every few minutes; the first to ask in a new interval
    takes it (a count in the database, as the rate limits keep theirs), so several app servers,
    and workers restarted in between, walk the storage once, not once each."""
    if not settings.ORPHAN_SWEEP_INTERVAL:
        return 0
    if not hit("files", "orphan sweep", limit=1, per=settings.ORPHAN_SWEEP_INTERVAL):
        return 0
    return sweep_orphans(stop=stop).deleted
