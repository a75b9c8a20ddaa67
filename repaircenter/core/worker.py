"""The background worker's rounds, each registered by the app that owns the work.

`repaircenter worker` (core/management/commands/worker.py) wakes every few seconds and runs, in
their order, the rounds whose time has come: every wake-up for most (send the messages, post the
webhooks, make the PDFs), every few minutes for the periodic ones (the deadline sweep). The
apps register theirs in `AppConfig.ready()`, so the worker imports none of them.

A round is `run(stop) -> int`: it does what is due, lets go early when `stop` (a
threading.Event) is set, and returns how much it did (0: nothing to do).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Round:
    name: str
    run: Callable[[threading.Event], int]
    # Rounds run in this order: the sweep (10) queues messages, which are written (20) and
    # sent (30) before the webhooks (40) and the PDFs (50).
    position: int
    # The setting that gives the seconds between two runs; empty: every time the worker wakes.
    every_setting: str = ""

    @property
    def every(self) -> float:
        return getattr(settings, self.every_setting) if self.every_setting else 0


_rounds: dict[str, Round] = {}


def register_round(name: str, run: Callable[[threading.Event], int], *, position: int,
                   every_setting: str = "") -> None:
    _rounds[name] = Round(name, run, position, every_setting)


def rounds() -> list[Round]:
    return sorted(_rounds.values(), key=lambda r: (r.position, r.name))
