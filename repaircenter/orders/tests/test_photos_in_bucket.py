"""Intake and advice photos in either storage: in the bucket when REPAIRCENTER_STORAGE_URL is set
(a real S3 server on loopback), served only through the staff views; and a photo whose row is
rolled back leaves no file behind, in the bucket or in the data folder."""

import pytest
from django.db.models.signals import post_save
from django.urls import reverse

from repaircenter.consult.models import AdviceRequest
from repaircenter.orders.models import EquipmentKind, EquipmentPhoto, Order, OrderEvent
from repaircenter.orders.tests.test_intake import INTAKE_URL, form_data, image_file
from repaircenter.portal.tests.test_advice_form import ADVICE, photo, question

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _phone_kind(db):
    EquipmentKind.objects.get_or_create(name="Phone")


@pytest.fixture(params=["data folder", "bucket"])
def stored_names(request, settings):
    """Whichever storage the test runs on: a function listing the names of its files."""
    if request.param == "bucket":
        bucket = request.getfixturevalue("s3_bucket")
        return bucket.names

    def in_folder() -> list[str]:
        root = settings.MEDIA_ROOT
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) \
            if root.exists() else []
    return in_folder


@pytest.fixture
def failing_after(request):
    """Makes the next save of `model` fail after the photos were written, as a later step of
    the same transaction failing would (a signal receiver raises)."""
    connected = []

    def fail(model):
        def receiver(sender, **kwargs):
            raise RuntimeError("a later step of the transaction failed")
        post_save.connect(receiver, sender=model, weak=False)
        connected.append((receiver, model))

    yield fail
    for receiver, model in connected:
        post_save.disconnect(receiver, sender=model)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_intake_photos_go_to_the_bucket_and_only_staff_get_them(s3_bucket, client, receptionist,
                                                                settings):
    client.force_login(receptionist)
    response = client.post(INTAKE_URL, {**form_data(), "photos": [
        image_file("front.png"), image_file("back.png", color=(10, 200, 10))]})
    assert response.status_code in (200, 302)
    order = Order.objects.get()
    photos = list(order.photos.all())
    assert len(photos) == 2
    assert s3_bucket.names() == sorted(p.image.name for p in photos)
    assert all(name.startswith(f"photos/{order.pk}/") for name in s3_bucket.names())
    assert not (settings.MEDIA_ROOT / "photos").exists()
    for item in photos:
        url = reverse("staff:photo", args=[order.number, item.pk])
        served = client.get(url)
        assert served.status_code == 200 and body(served) == s3_bucket.get(item.image.name)
    client.logout()
    assert client.get(reverse("staff:photo", args=[order.number, photos[0].pk])
                      ).status_code == 302  # to the login page


def test_an_advice_photo_goes_to_the_bucket_and_consultants_get_it(s3_bucket, client,
                                                                   consultant):
    client.post(ADVICE, {**question(), "photo": photo()})
    advice = AdviceRequest.objects.get()
    assert s3_bucket.names() == [advice.photo.name]
    url = reverse("consult:advice_photo", args=[advice.pk])
    assert client.get(url).status_code == 302
    client.force_login(consultant)
    served = client.get(url)
    assert served.status_code == 200 and body(served) == s3_bucket.get(advice.photo.name)


def test_an_intake_rolled_back_leaves_no_photo(stored_names, client, receptionist,
                                               failing_after):
    client.force_login(receptionist)
    failing_after(OrderEvent)  # the intake's event: written after the photos
    with pytest.raises(RuntimeError):
        client.post(INTAKE_URL, {**form_data(), "photos": [image_file(), image_file("b.png")]})
    assert not Order.objects.exists() and not EquipmentPhoto.objects.exists()
    assert stored_names() == []


def test_an_advice_request_rolled_back_leaves_no_photo(stored_names, client, failing_after):
    failing_after(AdviceRequest)
    with pytest.raises(RuntimeError):
        client.post(ADVICE, {**question(), "photo": photo()})
    assert not AdviceRequest.objects.exists()
    assert stored_names() == []
