import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection, connections

from repaircenter.core.worker import rounds

log = logging.getLogger("repaircenter.worker")
HEARTBEAT_EVERY = 60  # seconds between "still here" lines while idle


def no_wait_for_disk() -> None:
    """On PostgreSQL, the worker's commits return before the server has flushed them to disk.
    Only a crash of the database server itself can lose the last moment of them, and then a
    message looks unsent and goes out again, with the same idempotency key; waiting for the disk
    after every message cost a large part of the worker's rate (bench/worker_sms.py)."""
    if connection.vendor == "postgresql":
        options = connection.settings_dict.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
        with connection.cursor() as cursor:  # the connection already open, if any
            cursor.execute("SET synchronous_commit TO OFF")


class Command(BaseCommand):
    help = ("Run the background worker: sends queued messages, posts the webhooks, makes the "
            "PDFs of issued documents and runs the deadline sweeps (the rounds the apps "
            "register: core/worker.py).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = threading.Event()

        def request_stop(signum, frame):
            log.info("worker: signal %s received, stopping after the current message", signum)
            stop.set()

        no_wait_for_disk()
        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, request_stop) for sig in signals}
        log.info("worker: started, waking every %ss", settings.WORKER_INTERVAL)
        idle_seconds = 0
        next_run: dict[str, float] = {}  # when each periodic round runs next
        try:
            while not stop.is_set():
                try:
                    done = 0
                    for work in rounds():
                        if work.every and time.monotonic() < next_run.get(work.name, 0.0):
                            continue
                        done += work.run(stop)
                        if work.every:
                            next_run[work.name] = time.monotonic() + work.every
                except DatabaseError:
                    # The database went away (restart, network): drop the connection and try
                    # again next round instead of dying.
                    log.exception("worker: database error, trying again in a moment")
                    connections.close_all()
                    done = 0
                if once:
                    break
                idle_seconds = 0 if done else idle_seconds + settings.WORKER_INTERVAL
                if idle_seconds and idle_seconds % HEARTBEAT_EVERY < settings.WORKER_INTERVAL:
                    log.info("worker: idle, nothing to send")
                stop.wait(settings.WORKER_INTERVAL)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("worker: stopped")
