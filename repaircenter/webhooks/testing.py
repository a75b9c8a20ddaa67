"""A stand-in webhook receiver on 127.0.0.1, for the tests: it checks every request's signature
as a real receiver would (signing.verify), keeps each delivery once by its id, and can be told
to answer the next requests with an error status or to hang, or to take its time over every
answer (`delay`)."""

import json
import random
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .signing import verify


class FakeReceiver:
    """`with FakeReceiver(secret) as receiver:`; its URL is `receiver.url`.

    `receiver.plan` holds the answers to the next requests: an HTTP status (500, 410…) or
    "hang" (answer 200 after `hang_seconds`); when empty, a correctly signed request gets 200
    and a wrongly signed one 401. `delay` (lowest, highest seconds): every answer waits a random
    time between the two.
    """

    def __init__(self, secret: str, *, hang_seconds: float = 3.0,
                 delay: tuple[float, float] = (0.0, 0.0)):
        self.secret = secret
        self.hang_seconds = hang_seconds
        self.delay = delay
        self.plan: deque = deque()
        self.requests: list[dict] = []  # every request, repeats included
        self.received: dict[str, dict] = {}  # accepted deliveries, one per delivery id
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver.handle(self.path, self.headers, raw)
                if receiver.delay[1]:
                    time.sleep(random.uniform(*receiver.delay))  # noqa: S311 — not a secret
                if status == "hang":
                    time.sleep(receiver.hang_seconds)
                    status = 200
                body = b'{"ok": true}' if status == 200 else b'{"error": "planned"}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers, raw: bytes):
        signed = verify(self.secret, timestamp=headers.get("X-RepairCenter-Timestamp"),
                        body=raw, signature=headers.get("X-RepairCenter-Signature"))
        with self.lock:
            self.requests.append({"path": path, "headers": dict(headers), "body": raw,
                                  "signed": signed})
            behaviour = self.plan.popleft() if self.plan else "ok"
            if behaviour != "ok":
                return behaviour
            if not signed:
                return 401
            delivery = headers.get("X-RepairCenter-Delivery", "")
            # A repeat of a delivery already taken is answered 200 and dropped.
            self.received.setdefault(delivery, json.loads(raw))
            return 200
