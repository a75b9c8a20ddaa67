import logging
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

log = logging.getLogger("repaircenter.serve")


def listening_url(host: str, port: int) -> str:
    """The address to open for a server bound to host:port; a server on every interface is
    opened on this machine's loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = ("Migrate, load demo data into an empty database, then serve the product with "
            "gunicorn and run the background worker beside it.")

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--host", default=os.environ.get("REPAIRCENTER_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--no-demo", action="store_true", help="never load demo data")

    def handle(self, *args, port, host, workers, no_demo, **options):
        if not os.environ.get("REPAIRCENTER_SITE_URL"):
            # The customer's links (printed, in QR codes, in messages) point where this serves;
            # the children (gunicorn, the worker) read it from the environment.
            os.environ["REPAIRCENTER_SITE_URL"] = settings.SITE_URL = listening_url(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            # By name: the demo lives in devtools, which core does not import (as the worker
            # below is started by its command's name). It prints the staff passwords once.
            call_command("demo_data", if_empty=True, stdout=self.stdout)
        connections.close_all()

        children = [
            subprocess.Popen([  # noqa: S603 - fixed argument list, no shell
                sys.executable, "-m", "gunicorn", "repaircenter.wsgi:application",
                "--bind", f"{host}:{port}", "--workers", str(workers),
                "--access-logfile", "-", "--graceful-timeout", "20",
            ]),
            subprocess.Popen([sys.executable, "-m", "repaircenter", "worker"]),  # noqa: S603
        ]
        self.stdout.write(f"Repair Center is at {listening_url(host, port)}/ (Ctrl+C to stop)")

        signalled: set[int] = set()

        def stop(signum, frame):
            # Once per child: a second SIGTERM could reach a child after it put the default
            # handler back on its way out, and kill it mid-exit.
            for child in children:
                if child.poll() is None and child.pid not in signalled:
                    signalled.add(child.pid)
                    child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # When either child ends, stop the other: one without the other is not the product.
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        stop(None, None)
        codes = [child.wait(timeout=30) for child in children]
        sys.exit(max(abs(code) for code in codes if code is not None) if any(codes) else 0)
