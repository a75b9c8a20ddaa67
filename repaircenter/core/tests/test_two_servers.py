"""Two app servers, one database, one bucket: two `repaircenter serve` (each a gunicorn and a
worker, each with its own data folder) against the same PostgreSQL and the same S3 bucket (moto
in server mode on loopback). An order is taken in through one, with photos; the other's worker
makes its PDF; every document and photo downloads through both, byte for byte the same."""

import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from repaircenter.conftest import S3_KEYS, free_port

ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "two servers, one bucket"
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith(("postgres://", "postgresql://")),
    reason="two app servers share one database server: this needs PostgreSQL "
           "(DATABASE_URL=postgres://…); SQLite is a file of one machine",
)


def customer_download(url: str) -> requests.Response:
    """The customer's browser: the last four digits of the phone, then the document."""
    with requests.Session() as browser:
        form = browser.get(url, timeout=30).text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        browser.post(url, data={"csrfmiddlewaretoken": csrf, "digits": "0101"},
                     headers={"Referer": url}, timeout=30)
        return browser.get(url, timeout=30)


def png(color) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def shared_database():
    """A new, empty database on the test's PostgreSQL server, dropped afterwards."""
    base, _slash, _name = DATABASE_URL.rpartition("/")
    name = f"rc_two_servers_{uuid.uuid4().hex[:8]}"
    admin = f"{base}/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """One `repaircenter serve` in a child process, its output collected."""

    def __init__(self, name: str, env: dict, folder: Path):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        folder.mkdir()
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [sys.executable, "-m", "repaircenter", "serve", "--no-demo", "--port", str(self.port),
             "--workers", "1"],
            env={**env, "REPAIRCENTER_DATA": str(folder / "data")}, cwd=folder,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=lambda: self.lines.extend(self.process.stdout),
                                       daemon=True)
        self.reader.start()
        self.session = requests.Session()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_until_up(self, deadline: float) -> None:
        while True:
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or still booting
                pass
            assert self.process.poll() is None, self.output
            assert time.monotonic() < deadline, f"{self.name} did not answer:\n{self.output}"
            time.sleep(0.3)

    def log_in(self, username: str) -> None:
        page = self.session.get(f"{self.url}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = self.session.post(f"{self.url}/accounts/login/", timeout=10, data={
            "username": username, "password": PASSWORD, "csrfmiddlewaretoken": token,
        }, headers={"Referer": f"{self.url}/accounts/login/"})
        assert answer.status_code == 200 and "/accounts/login/" not in answer.url, answer.text

    def get(self, path: str) -> bytes:
        answer = self.session.get(f"{self.url}{path}", timeout=30)
        assert answer.status_code == 200, f"{self.name} {path}: {answer.status_code}"
        return answer.content

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.reader.join(timeout=5)


def test_two_servers_share_one_database_and_one_bucket(shared_database, s3_server, tmp_path):
    import boto3

    bucket = f"rc-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1",
                 aws_access_key_id="testing-key", aws_secret_access_key="testing"
                 ).create_bucket(Bucket=bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REPAIRCENTER_")}
    env.update(S3_KEYS, PYTHONPATH=str(ROOT), DATABASE_URL=shared_database,
               REPAIRCENTER_SECRET_KEY="one key for every server of the deployment",
               REPAIRCENTER_STORAGE_URL=f"s3://{bucket}/center",
               REPAIRCENTER_S3_ENDPOINT=s3_server)
    # The database is made once, with a receptionist, before either server starts.
    setup = (
        "from django.contrib.auth.models import Group\n"
        "from repaircenter.accounts.models import User\n"
        f"user = User.objects.create_user('rita', password={PASSWORD!r})\n"
        "user.groups.add(Group.objects.get_or_create(name='receptionist')[0])\n"
    )
    for command in (["migrate", "-v", "0"], ["shell", "-c", setup]):
        subprocess.run([sys.executable, "-m", "repaircenter", *command], check=True,  # noqa: S603
                       env={**env, "REPAIRCENTER_DATA": str(tmp_path / "setup")}, cwd=tmp_path,
                       capture_output=True, timeout=300)

    # A takes the order in; its worker sleeps, so the PDF is B's worker's to make.
    a = Server("A", {**env, "REPAIRCENTER_WORKER_INTERVAL": "3600"}, tmp_path / "a")
    b = Server("B", {**env, "REPAIRCENTER_WORKER_INTERVAL": "1"}, tmp_path / "b")
    try:
        deadline = time.monotonic() + 180
        a.wait_until_up(deadline)
        b.wait_until_up(deadline)
        for server in (a, b):
            server.log_in("rita")

        form = a.session.get(f"{a.url}/staff/intake/", timeout=10).text
        fields = dict(re.findall(r'name="(csrfmiddlewaretoken|intake_key)" value="([^"]+)"',
                                 form))
        kind = re.search(r'<option value="(\d+)"[^>]*>\s*Phone', form).group(1)
        photos = [png((200, 30, 30)), png((30, 200, 30))]
        answer = a.session.post(f"{a.url}/staff/intake/", timeout=60, data={
            **fields, "phone": "020 7946 0101", "name": "Alice Brown",
            "email": "alice@example.com", "channel_1": "sms", "channel_2": "", "channel_3": "",
            "kind": kind, "brand": "Samsung", "model": "Galaxy S23",
            "serial_number": "R5CW31ABCDE", "imei": "", "condition": "Scratched back",
            "accessories": "Case", "fault": "Does not charge",
        }, files=[("photos", (f"p{i}.png", body, "image/png")) for i, body in enumerate(photos)],
            headers={"Referer": f"{a.url}/staff/intake/"})
        assert answer.status_code == 200, answer.text[:2000]
        # The customer's link is whole only on the customer's copy (the database keeps a digest).
        token = re.search(r"/o/([A-Za-z0-9_-]{20,})/", answer.text).group(1)

        with psycopg.connect(shared_database) as connection:
            number, order_id = connection.execute(
                "SELECT number, id FROM orders_order").fetchone()
            photo_ids = [row[0] for row in connection.execute(
                "SELECT id FROM orders_equipmentphoto WHERE order_id = %s ORDER BY id",
                [order_id])]
            assert len(photo_ids) == 2
            while True:  # B's worker makes the intake order's PDF
                documents = connection.execute(
                    "SELECT d.id, d.file, d.sha256, d.kind FROM documents_document d "
                    "JOIN documents_document_orders o ON o.document_id = d.id "
                    "WHERE o.order_id = %s", [order_id]).fetchall()
                connection.commit()
                if documents and all(file for _id, file, _sha, _kind in documents):
                    break
                assert time.monotonic() < deadline, b.output
                time.sleep(0.5)
        assert [kind for *_rest, kind in documents] == ["intake_order"]
        assert "documents: PDF of IO-000001 made" in b.output
        assert "documents: PDF of" not in a.output

        for server in (a, b):
            for document_id, _file, sha256, _kind in documents:
                staff = server.get(f"/staff/orders/{number}/documents/{document_id}/pdf/")
                customer = customer_download(
                    f"{server.url}/o/{token}/documents/{document_id}/")
                assert customer.status_code == 200
                assert hashlib.sha256(staff).hexdigest() == sha256
                assert customer.content == staff
            served = [server.get(f"/staff/orders/{number}/photos/{pk}/") for pk in photo_ids]
            assert all(body.startswith(b"\xff\xd8") for body in served)  # re-encoded JPEGs
            if server is a:
                first = served
            else:
                assert served == first
        # Neither server kept a file in its own data folder.
        for folder in (tmp_path / "a" / "data", tmp_path / "b" / "data"):
            assert not (folder / "media").exists() or not any(
                p.is_file() for p in (folder / "media").rglob("*"))
    finally:
        a.stop()
        b.stop()
    assert a.process.returncode == 0 and b.process.returncode == 0
