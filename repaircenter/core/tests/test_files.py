"""The stored files and their rows: the storage chosen by REPAIRCENTER_STORAGE_URL, the orphan
sweep (core/files.py) and the move of a data folder into the bucket (move_files_to_bucket); on
the data folder and on a real S3 server on loopback (moto in server mode)."""

import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from repaircenter.conftest import take_in
from repaircenter.core.files import sweep_orphans
from repaircenter.core.worker import rounds
from repaircenter.documents.issuing import render_pending
from repaircenter.documents.models import Document
from repaircenter.orders.photos import clean_photo
from repaircenter.settings import file_storage

pytestmark = pytest.mark.django_db


def a_photo():
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="PNG")
    return clean_photo(SimpleUploadedFile("p.png", buffer.getvalue(), "image/png"))


# --- the storage chosen by configuration --------------------------------------------------------


def test_no_storage_url_keeps_the_files_in_the_data_folder():
    assert file_storage("") == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_a_storage_url_names_the_bucket_and_its_prefix(monkeypatch):
    monkeypatch.setenv("REPAIRCENTER_S3_ENDPOINT", "http://10.0.0.5:9000")
    monkeypatch.setenv("REPAIRCENTER_S3_REGION", "eu-west-2")
    monkeypatch.setenv("REPAIRCENTER_S3_ACCESS_KEY", "key")
    monkeypatch.setenv("REPAIRCENTER_S3_SECRET_KEY", "secret")
    config = file_storage("s3://repair-files/center/one/")
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == ("repair-files", "center/one")
    assert (options["endpoint_url"], options["region_name"]) == ("http://10.0.0.5:9000",
                                                                 "eu-west-2")
    assert (options["access_key"], options["secret_key"]) == ("key", "secret")
    assert options["default_acl"] is None and options["querystring_expire"] <= 300
    assert options["file_overwrite"] is False


@pytest.mark.parametrize("url", ["http://bucket/", "s3://", "repair-files", "gs://bucket"])
def test_a_storage_url_that_is_not_a_bucket_is_refused(url):
    with pytest.raises(ImproperlyConfigured, match="s3://BUCKET"):
        file_storage(url)


# --- the orphan sweep ---------------------------------------------------------------------------


@pytest.fixture(params=["data folder", "bucket"])
def storage_kind(request):
    if request.param == "bucket":
        request.getfixturevalue("s3_bucket")
    return request.param


def stored_names() -> list[str]:
    found = []

    def walk(folder):
        try:
            folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            return
        found.extend(f"{folder}/{name}".lstrip("/") for name in files)
        for sub in folders:
            walk(f"{folder}/{sub}".lstrip("/"))
    walk("")
    return sorted(found)


def test_the_sweep_deletes_old_files_no_row_names_and_keeps_the_rest(storage_kind, receptionist,
                                                                     customer):
    order = take_in(receptionist, customer, photos=[a_photo()]).order
    render_pending()
    kept = sorted([order.photos.get().image.name,
                   Document.objects.get(orders=order).file.name])
    orphans = sorted(
        default_storage.save(name, ContentFile(b"stray"))
        for name in ("documents/2026/receipt/RC-000099.pdf", f"photos/{order.pk}/stray.jpg",
                     "photos/999999/gone.jpg", f"signatures/{order.pk}/unused.png",
                     "advice/2026/12/lost.jpg")
    )
    assert stored_names() == sorted(kept + orphans)

    # Young files may be on their way to their row: kept.
    young = sweep_orphans()
    assert (young.looked_at, young.deleted, young.too_young) == (7, 0, 5)
    assert stored_names() == sorted(kept + orphans)

    later = sweep_orphans(now=timezone.now() + datetime.timedelta(hours=2))
    assert later.deleted == 5
    assert stored_names() == kept


def test_clean_files_says_what_it_would_delete_and_the_worker_runs_it(storage_kind, capsys):
    default_storage.save("documents/2026/receipt/RC-000001.pdf", ContentFile(b"stray"))
    call_command("clean_files", "--dry-run", "--grace-minutes", "0")
    assert "would be deleted: 1" in capsys.readouterr().out
    assert stored_names() == ["documents/2026/receipt/RC-000001.pdf"]
    call_command("clean_files", "--grace-minutes", "0")
    assert "deleted: 1" in capsys.readouterr().out
    assert stored_names() == []
    assert "orphan files" in [work.name for work in rounds()]


# --- moving a data folder into the bucket -------------------------------------------------------


def test_a_data_folder_moves_into_the_bucket_checked_and_resumable(
        request, receptionist, customer, client, settings, capsys):
    # One machine's data folder: a photo and a PDF.
    order = take_in(receptionist, customer, photos=[a_photo()]).order
    render_pending()
    root = settings.MEDIA_ROOT
    local = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
             if p.is_file()}
    assert len(local) == 2

    with pytest.raises(CommandError, match="REPAIRCENTER_STORAGE_URL"):
        call_command("move_files_to_bucket")  # no bucket configured yet

    bucket = request.getfixturevalue("s3_bucket")
    call_command("move_files_to_bucket")
    captured = capsys.readouterr()
    assert "copied and checked: 2; already in the bucket: 0; failed: 0" in captured.out
    assert "] 2/2 files 100%" in captured.err  # the progress bar
    assert {name: bucket.get(name) for name in bucket.names()} == local

    # Stopped and started again: what is there already, with the same digest, is skipped;
    # a damaged copy is copied again.
    photo_name = order.photos.get().image.name
    bucket.put(photo_name, b"half a photo")
    call_command("move_files_to_bucket", "--no-progress")
    captured = capsys.readouterr()
    assert "copied and checked: 1; already in the bucket: 1; failed: 0" in captured.out
    assert captured.err == ""
    assert bucket.get(photo_name) == local[photo_name]

    # Served from the bucket now, the PDF's digest checked.
    document = Document.objects.get(orders=order)
    for name in list(local):
        (root / name).unlink()
    client.force_login(receptionist)
    response = client.get(reverse("staff:document_pdf", args=[order.number, document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == local[document.file.name]


def test_moving_a_folder_that_is_not_there_is_refused(s3_bucket, tmp_path):
    with pytest.raises(CommandError, match="There is no folder"):
        call_command("move_files_to_bucket", "--from", str(tmp_path / "nowhere"))


def test_the_workers_of_a_deployment_sweep_once_per_interval(s3_bucket, settings):
    """Two workers (or one restarted) asking in the same interval: one sweep."""
    import threading

    from repaircenter.core.files import orphan_round

    settings.ORPHAN_GRACE = 0
    stop = threading.Event()
    default_storage.save("photos/1/a.jpg", ContentFile(b"stray"))
    assert orphan_round(stop) == 1
    default_storage.save("photos/1/b.jpg", ContentFile(b"stray"))
    assert orphan_round(stop) == 0  # this interval's sweep was done
    assert stored_names() == ["photos/1/b.jpg"]
    settings.ORPHAN_SWEEP_INTERVAL = 0  # switched off: the worker never sweeps
    assert orphan_round(stop) == 0
