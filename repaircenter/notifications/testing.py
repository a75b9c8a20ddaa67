"""A stand-in SMS provider on 127.0.0.1, for the tests and the benchmark.

It speaks the protocol of channels/sms_http.py: a JSON POST with a bearer token, answered with
the provider's id; it drops a repeated Idempotency-Key as a real provider would, and can be told
to fail, time out or reject the next requests, or to take its time over every answer (`delay`).
It can also send signed delivery reports.
"""

import contextlib
import hashlib
import hmac
import json
import random
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSmsProvider:
    """Start with `with FakeSmsProvider(token) as provider:`; its URL is `provider.url`.

    `provider.plan` is a queue of behaviours for the next requests: an HTTP status (500, 422…),
    "hang" (answer after `hang_seconds`) or "ok"; when empty, every request succeeds.
    `delay` (lowest, highest seconds): every answer waits a random time between the two, as a
    provider far away or busy does.
    """

    def __init__(self, token: str, *, hang_seconds: float = 5.0, port: int = 0,
                 delay: tuple[float, float] = (0.0, 0.0)):
        self.token = token
        self.hang_seconds = hang_seconds
        self.delay = delay
        self.plan: deque = deque()
        self.requests: list[dict] = []  # every request, in order, repeats included
        self.accepted: dict[str, dict] = {}  # one per idempotency key: the messages "sent"
        self.lock = threading.Lock()
        self.request_seen = threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real provider offers
            disable_nagle_algorithm = True  # headers and body go in two writes

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                status, answer = provider.handle(self.headers, raw)
                if provider.delay[1]:
                    time.sleep(random.uniform(*provider.delay))  # noqa: S311 — not a secret
                if status == "hang":
                    time.sleep(provider.hang_seconds)
                    status, answer = 200, provider.accept(self.headers, json.loads(raw))
                body = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout, a killed worker)

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, headers, raw: bytes):
        with self.lock:
            try:
                payload = json.loads(raw)
            except ValueError:
                payload = {}
            self.requests.append({"headers": dict(headers), "payload": payload})
            self.request_seen.set()
            if headers.get("Authorization") != f"Bearer {self.token}":
                return 401, {"error": "bad token"}
            behaviour = self.plan.popleft() if self.plan else "ok"
        if behaviour == "hang":
            return "hang", None
        if behaviour != "ok":
            return behaviour, {"error": f"planned failure {behaviour}"}
        if not str(payload.get("to", "")).startswith("+"):
            return 422, {"error": "number is not E.164"}
        return 200, self.accept(headers, payload)

    def accept(self, headers, payload: dict) -> dict:
        key = headers.get("Idempotency-Key") or uuid.uuid4().hex
        with self.lock:
            if key not in self.accepted:
                self.accepted[key] = {"id": f"sms-{len(self.accepted) + 1}", **payload}
            return {"id": self.accepted[key]["id"], "status": "accepted"}


def signed_report(secret: str, report: dict, *, at: int | None = None) -> tuple[bytes, str]:
    """A delivery report's body and its X-Signature header, as the provider signs them."""
    body = json.dumps(report).encode()
    at = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={at},v1={digest}"


def main() -> None:
    """`python -m repaircenter.notifications.testing PORT TOKEN`: run the stand-in provider in a
    process of its own (the benchmark does, so that it shares no interpreter with the client)."""
    import sys

    port, token = int(sys.argv[1]), sys.argv[2]
    with FakeSmsProvider(token, port=port) as provider:
        print(f"fake SMS provider on {provider.url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            provider.thread.join()


if __name__ == "__main__":
    main()
