"""Values each web process keeps a short while, read again when their time is up and forgotten
at once when the process itself changes them: what every staff page needs and seldom changes
(the centers, orders/workplace.py; the signed-in user's row, accounts/backends.py). Another
process learns of a change only when its copy's time is up, so what is kept so must be safe to
show that much later. A plain dict, not Django's cache: the cache would pickle the values in
and out on every request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from time import monotonic
from typing import Any


class KeptPerProcess:
    def __init__(self, read: Callable[[Any], Any], seconds: float):
        """`read(key)` gives the value kept for `key` for `seconds`."""
        self.read = read
        self.seconds = seconds
        self._kept: dict[Hashable, tuple[float, Any]] = {}  # key: (when read, the value)
        # Moves on with every forgetting: a value read while one happened is not kept (it may be
        # the value as it was), and the lock makes "nothing changed, so keep it" one step.
        self._changes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        """The value for `key`: kept, or read (and kept). Read-only once kept: shared."""
        kept = self._kept.get(key)
        now = monotonic()
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        changes = self._changes
        value = self.read(key)
        with self._lock:
            if changes == self._changes:
                self._kept[key] = (now, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Read `key`'s value anew when next asked for (None: every key's)."""
        with self._lock:
            self._changes += 1
            if key is None:
                self._kept.clear()
            else:
                self._kept.pop(key, None)
