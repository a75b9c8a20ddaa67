"""Benchmark: the worker sending SMS to the loopback provider, against a bare loop that posts the
same requests.

    python bench/worker_sms.py                       # SQLite in a temporary folder
    python bench/worker_sms.py --database-url postgres://postgres@127.0.0.1:5432/bench

The provider (repaircenter.notifications.testing) runs in a process of its own. The bare loop is
one requests.Session posting N JSON messages one after another, as sms_http.py does, with no
database. The worker is the real `repaircenter worker` process: it is started and idle, then N
queued messages are committed in one transaction, and the clock runs from that commit until the
database says the last one is sent: claims, sends, outcome records, log lines and the worker's
wake-up delay (at most its 1 s interval) included.
"""

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_provider(port: int) -> subprocess.Popen:
    provider = subprocess.Popen(
        [sys.executable, "-m", "repaircenter.notifications.testing", str(port), TOKEN],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    provider.stdout.readline()  # "fake SMS provider on ..." once it listens
    return provider


def phone(n: int) -> str:
    """A different customer's number for each message, as in a day's real outbox."""
    return f"+44770090{n:04d}"


def bare_loop(url: str, count: int) -> float:
    """Seconds for `count` sequential POSTs of an SMS payload, parsing each answer."""
    import requests

    session = requests.Session()
    session.trust_env = False  # as the SMS channel: proxy settings read once, not per request
    started = time.perf_counter()
    for n in range(count):
        key = str(uuid.uuid4())
        response = session.post(
            url,
            json={"to": phone(n), "text": f"Bare loop message {n}", "from": "RepairCtr",
                  "reference": key, "report_url": "http://127.0.0.1:8000/hooks/sms/report/"},
            headers={"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": key},
            timeout=10,
        )
        response.raise_for_status()
        response.json()["id"]
    return time.perf_counter() - started


def worker_run(url: str, count: int, env: dict, folder: Path) -> float:
    """Seconds from N messages appearing in the outbox to the last one recorded as sent."""
    from django.db import connection, transaction
    from django.utils import timezone

    from repaircenter.customers.models import Customer
    from repaircenter.notifications.models import Message
    from repaircenter.orders.credentials import new_portal_token
    from repaircenter.orders.models import Order, Status

    customer, _ = Customer.objects.get_or_create(
        phone="+442079460101", defaults={"name": "Bench Customer", "preferred_channels": ["sms"]}
    )
    # Every message is about an order (or answers an advice request): one order carries them.
    order, _ = Order.objects.get_or_create(number=1, defaults={
        "customer": customer, "status": Status.RECEIVED, "received_at": timezone.now(),
        "diagnosis_due": timezone.localdate(), "portal_token": new_portal_token(),
    })
    Message.objects.all().delete()
    if connection.vendor == "postgresql":
        # Start each run from tidy tables, not from the dead rows of the last run (which
        # autovacuum would otherwise clean up in the middle of the timing).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE notifications_message, notifications_deliveryrecord")
    log_path = folder / "worker.log"
    with open(log_path, "w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "repaircenter", "worker"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            while "worker: started" not in log_path.read_text():
                time.sleep(0.05)
            with transaction.atomic():  # all appear at once, when the clock starts
                Message.objects.bulk_create(
                    (Message(order=order, customer=customer, event="order_received",
                             channel="sms", recipient=phone(n), body=f"Worker message {n}")
                     for n in range(count)),
                    batch_size=2000,
                )
            started = time.perf_counter()
            # The last message inserted is the last one claimed: when it is sent, all are.
            last = Message.objects.order_by("-pk").values_list("pk", flat=True)[0]
            while not Message.objects.filter(pk=last, status="sent").exists():
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            if Message.objects.filter(status="sent").count() != count:
                raise SystemExit("the last message was sent before others")
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    sends = log_path.read_text().count("send message ")
    if sends != count:
        raise SystemExit(f"the worker logged {sends} sends for {count} messages")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", help="also write the figures to this file")
    options = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-sms-"))
    url = f"http://127.0.0.1:{free_port()}/messages"
    database_url = options.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REPAIRCENTER_DATA": str(folder / "data"),
        "REPAIRCENTER_SMS_CHANNEL": "http",
        "REPAIRCENTER_SMS_API_URL": url,
        "REPAIRCENTER_SMS_API_TOKEN": TOKEN,
        "REPAIRCENTER_WORKER_INTERVAL": "1",
        "REPAIRCENTER_LOG_LEVEL": "INFO",
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith(("DATABASE", "REPAIR"))})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repaircenter.settings")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)

    provider = start_provider(int(url.rsplit(":", 1)[1].split("/")[0]))
    try:
        bare_loop(url, 200)  # warm up the provider and the connection
        bare = bare_loop(url, options.messages)
        worker = worker_run(url, options.messages, env, folder)
    finally:
        provider.terminate()
        provider.wait()

    n = options.messages
    figures = {
        "messages": n,
        "database": "PostgreSQL" if database_url.startswith("postgres") else "SQLite",
        "bare_loop_per_second": round(n / bare),
        "worker_per_second": round(n / worker),
        "ratio": round(bare / worker, 2),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
    }
    print(f"{figures['database']}: {n} SMS to the loopback provider")
    print(f"  bare loop: {figures['bare_loop_per_second']:>6} messages/s ({bare:.2f} s)")
    print(f"  worker:    {figures['worker_per_second']:>6} messages/s ({worker:.2f} s)")
    print(f"  worker / bare loop: {figures['ratio']:.2f} (target: at least 0.5)")
    if options.json:
        Path(options.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
