import datetime

from django.utils import timezone

from repaircenter.consult.models import ConsultantPresence

# Fixtures of the notifications tests that these use: a real SMTP server and a stand-in SMS
# provider.
from repaircenter.notifications.tests.conftest import sms_provider, smtp_server  # noqa: F401


def set_online(user, minutes_ago: float = 0) -> None:
    """The consultant had the inbox open `minutes_ago`."""
    ConsultantPresence.objects.update_or_create(
        user=user,
        defaults={"last_seen": timezone.now() - datetime.timedelta(minutes=minutes_ago)},
    )
