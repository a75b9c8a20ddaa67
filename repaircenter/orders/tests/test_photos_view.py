"""Equipment photos, served only to staff through staff:photo."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from repaircenter.conftest import take_in
from repaircenter.orders.photos import clean_photo

pytestmark = pytest.mark.django_db


def clean_jpeg(color=(10, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(buffer, format="PNG")
    return clean_photo(SimpleUploadedFile("p.png", buffer.getvalue(), "image/png"))


@pytest.fixture
def order_with_photo(receptionist, customer):
    return take_in(receptionist, customer, photos=[clean_jpeg()]).order


def photo_url(order, photo) -> str:
    return reverse("staff:photo", args=[order.number, photo.pk])


def body(response) -> bytes:
    try:
        return b"".join(response.streaming_content)
    finally:
        response.close()


@pytest.mark.parametrize("role", ["receptionist", "technician", "consultant", "cashier", "manager"])
def test_staff_get_the_photo_as_jpeg(client, request, order_with_photo, role):
    photo = order_with_photo.photos.get()
    client.force_login(request.getfixturevalue(role))

    response = client.get(photo_url(order_with_photo, photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    data = body(response)
    with open(photo.image.path, "rb") as stored:
        assert data == stored.read()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"


def test_photo_of_another_order_is_404(
    client, technician, receptionist, customer, order_with_photo
):
    other = take_in(receptionist, customer, serial="OTHER123", photos=[clean_jpeg()]).order
    other_photo = other.photos.get()
    client.force_login(technician)

    response = client.get(reverse("staff:photo", args=[order_with_photo.number, other_photo.pk]))

    assert response.status_code == 404
    own = client.get(photo_url(other, other_photo))
    assert own.status_code == 200
    body(own)


def test_unknown_photo_is_404(client, technician, order_with_photo):
    client.force_login(technician)
    photo = order_with_photo.photos.get()
    url = reverse("staff:photo", args=[order_with_photo.number, photo.pk + 1000])
    assert client.get(url).status_code == 404


def test_photo_missing_from_disk_is_404(client, technician, order_with_photo):
    photo = order_with_photo.photos.get()
    os.remove(photo.image.path)
    client.force_login(technician)
    assert client.get(photo_url(order_with_photo, photo)).status_code == 404


def test_anonymous_is_sent_to_login(client, order_with_photo):
    photo = order_with_photo.photos.get()
    response = client.get(photo_url(order_with_photo, photo))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
