"""`repaircenter serve` as a new user runs it: a real gunicorn and worker in a child process."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def test_serve_migrates_loads_demo_serves_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REPAIRCENTER_SITE_URL")}
    env.update(REPAIRCENTER_DATA=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
               REPAIRCENTER_WORKER_INTERVAL="1")
    server = subprocess.Popen(
        [sys.executable, "-m", "repaircenter", "serve", "--port", str(port), "--workers", "1"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(server.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, "".join(lines)
                assert time.monotonic() < deadline, "serve did not answer within 120 s"
                time.sleep(0.3)
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        status, body = get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and b"Staff login" in body
        status, css = get(f"http://127.0.0.1:{port}/static/vendor/pico-2.1.1.min.css")
        assert status == 200 and len(css) > 10_000
        while not any("worker: started" in line for line in lines):
            assert time.monotonic() < deadline, "the worker did not start within 120 s"
            time.sleep(0.2)
        # The demo's customers are told their links; with no REPAIRCENTER_SITE_URL set, the
        # links point at the port serve listens on.
        while not any("/o/" in line for line in lines):
            assert time.monotonic() < deadline, "no customer's link was sent within 120 s"
            time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        reader.join(timeout=5)
    output = "".join(lines)
    assert server.returncode == 0, output
    # The demo's staff accounts, each with a password, printed once.
    for username in ("reception", "tech", "consult", "cashier", "manager"):
        assert f"  {username} " in output
    assert "worker: started" in output
    assert "worker: stopped" in output
    links = [line for line in output.splitlines() if "/o/" in line]
    assert all(f"http://127.0.0.1:{port}/o/" in line for line in links), links
    assert (tmp_path / "data" / "db.sqlite3").exists()
