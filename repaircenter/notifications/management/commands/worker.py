import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from repaircenter.notifications.delivery import run_round

log = logging.getLogger("repaircenter.worker")
HEARTBEAT_EVERY = 60  # seconds between "still here" lines while idle


class Command(BaseCommand):
    help = "Run the background worker: sends queued messages and runs the deadline sweeps."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = threading.Event()

        def request_stop(signum, frame):
            log.info("worker: signal %s received, stopping after the current message", signum)
            stop.set()

        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, request_stop) for sig in signals}
        log.info("worker: started, waking every %ss", settings.WORKER_INTERVAL)
        idle_seconds = 0
        try:
            while not stop.is_set():
                try:
                    done = run_round(stop)
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
