"""The free advice form, /advice/: anyone asks, with a phone or an email to answer to and an
optional photo; a honeypot and a rate limit stop scripts; a double submit makes one request."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from repaircenter.consult.models import AdviceRequest, AdviceSource, AdviceStatus
from repaircenter.core import ratelimit

from .conftest import visible_text

pytestmark = pytest.mark.django_db

ADVICE = reverse("portal:advice")
SENT = reverse("portal:advice_sent")


def question(**changes) -> dict:
    data = {
        "name": "Sam Ortiz", "reply_channel": "email", "phone": "", "email": "sam@example.com",
        "equipment": "Laptop Dell XPS 13", "form_key": str(uuid.uuid4()),
        "question": "The fan is loud even when idle. Is a cleaning worth it, or a new fan?",
    }
    return {**data, **changes}


def photo(kind="PNG", size=(3000, 1500), comment=b"") -> SimpleUploadedFile:
    out = io.BytesIO()
    image = Image.new("RGB", size, (20, 120, 200))
    extra = {"comment": comment} if comment and kind == "JPEG" else {}
    image.save(out, format=kind, **extra)
    return SimpleUploadedFile(f"fan.{kind.lower()}", out.getvalue(),
                              content_type=f"image/{kind.lower()}")


def test_a_question_by_email_lands_in_the_inbox(client):
    response = client.post(ADVICE, question())
    assert response.status_code == 302 and response.url == SENT
    advice = AdviceRequest.objects.get()
    assert (advice.name, advice.email, advice.reply_channel, advice.source, advice.status) == (
        "Sam Ortiz", "sam@example.com", "email", AdviceSource.FORM, AdviceStatus.OPEN
    )
    assert advice.equipment == "Laptop Dell XPS 13"
    assert advice.question.startswith("The fan is loud")
    assert advice.order is None and advice.thread is None
    assert not advice.photo
    assert "we have your question" in visible_text(client.get(SENT))


def test_a_question_by_text_message_keeps_the_phone_in_e164(client):
    client.post(ADVICE, question(reply_channel="sms", phone="07911 123456", email=""))
    advice = AdviceRequest.objects.get()
    assert (advice.reply_channel, str(advice.phone)) == ("sms", "+447911123456")


@pytest.mark.parametrize(("changes", "field", "error"), [
    ({"name": ""}, "name", "This field is required."),
    ({"reply_channel": "sms", "phone": ""}, "phone",
     "Give the mobile number the text should go to."),
    ({"reply_channel": "email", "email": ""}, "email",
     "Give the address the email should go to."),
    ({"email": "not-an-address"}, "email", "Enter a valid email address."),
    ({"reply_channel": "sms", "phone": "123"}, "phone", "not a phone number we can send a text"),
    ({"reply_channel": "phone"}, "reply_channel", "Select a valid choice."),
    ({"question": ""}, "question", "This field is required."),
    ({"question": "x" * 2001}, "question", "at most 2000 characters"),
    ({"question": "   \x00  "}, "question", ""),
])
def test_bad_input_is_told_and_nothing_is_kept(client, changes, field, error):
    response = client.post(ADVICE, question(**changes))
    assert response.status_code == 400
    assert error in visible_text(response)
    assert not AdviceRequest.objects.exists()


def test_what_was_typed_stays_in_the_form_after_an_error(client):
    response = client.post(ADVICE, question(email=""))
    content = response.content.decode()
    assert 'value="Sam Ortiz"' in content
    assert "The fan is loud even when idle." in content


def test_a_photo_is_re_encoded_as_a_smaller_jpeg_without_its_comment(client, settings):
    upload = photo("JPEG", comment=b"GPS 51.5N 0.1W secret")
    client.post(ADVICE, {**question(), "photo": upload})
    advice = AdviceRequest.objects.get()
    assert advice.photo.name.startswith("advice/") and advice.photo.name.endswith(".jpg")
    with advice.photo.open("rb") as handle:
        stored = handle.read()
    assert b"GPS" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert max(image.size) == settings.PHOTO_MAX_SIDE


def test_a_file_that_is_not_a_photo_is_refused(client):
    fake = SimpleUploadedFile("photo.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    response = client.post(ADVICE, {**question(), "photo": fake})
    assert response.status_code == 400
    assert "photo.jpg is not an image that can be read." in visible_text(response)
    assert not AdviceRequest.objects.exists()


def test_the_same_form_posted_twice_makes_one_request(client):
    data = question()
    assert client.post(ADVICE, data).status_code == 302
    assert client.post(ADVICE, data).status_code == 302
    assert AdviceRequest.objects.count() == 1


def test_the_honeypot_stops_a_script_without_telling_it(client):
    response = client.post(ADVICE, question(website="http://cheap-pills.example"))
    assert response.status_code == 302 and response.url == SENT
    assert not AdviceRequest.objects.exists()


def test_a_script_posting_in_a_loop_is_stopped_by_the_rate_limit(client, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_030.0)
    settings.ADVICE_REQUESTS_PER_HOUR = 3
    statuses = [client.post(ADVICE, question(question=f"Question number {n}")).status_code
                for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    assert AdviceRequest.objects.count() == 3
    # Reading the form is not counted, and another address may still ask.
    assert client.get(ADVICE).status_code == 200
    assert client.post(ADVICE, question(), REMOTE_ADDR="192.0.2.40").status_code == 302


def test_the_form_has_a_hidden_honeypot_and_a_fresh_key(client):
    first, second = client.get(ADVICE).content.decode(), client.get(ADVICE).content.decode()
    assert '<div class="hp" aria-hidden="true">' in first
    key = first.split('name="form_key" value="', 1)[1].split('"', 1)[0]
    assert uuid.UUID(key) and key not in second
