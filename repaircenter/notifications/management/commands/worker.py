import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

log = logging.getLogger("repaircenter.worker")
HEARTBEAT_EVERY = 60  # seconds between "still here" lines while idle


class Command(BaseCommand):
    help = "Run the background worker: sends queued messages and runs the deadline sweeps."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run one round and exit.")

    def handle(self, *args, once: bool = False, **options):
        stop = threading.Event()

        def request_stop(signum, frame):
            log.info("worker: signal %s received, stopping after this round", signum)
            stop.set()

        signals = (signal.SIGTERM, signal.SIGINT)
        previous = {sig: signal.signal(sig, request_stop) for sig in signals}
        log.info("worker: started, waking every %ss", settings.WORKER_INTERVAL)
        idle_seconds = 0
        try:
            while not stop.is_set():
                done = self.run_round()
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

    def run_round(self) -> int:
        """One pass over the work; returns how much was done. The outbox arrives with the
        notifications issue; until then there is nothing to do."""
        return 0
