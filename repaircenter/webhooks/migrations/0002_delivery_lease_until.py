# The webhook deliveries take the lease of every worker queue (core/leases.py): the time a claim
# lasts until, as the messages have it, instead of the time it was made.

import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def claimed_at_to_lease_until(apps, schema_editor):
    """A post under way while this runs keeps the lease it had: claimed then, for the lease."""
    Delivery = apps.get_model("webhooks", "Delivery")
    lease = datetime.timedelta(seconds=settings.WEBHOOK_LEASE)
    Delivery.objects.filter(lease_until__isnull=False).update(lease_until=F("lease_until") + lease)


def lease_until_to_claimed_at(apps, schema_editor):
    Delivery = apps.get_model("webhooks", "Delivery")
    lease = datetime.timedelta(seconds=settings.WEBHOOK_LEASE)
    Delivery.objects.filter(lease_until__isnull=False).update(lease_until=F("lease_until") - lease)


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0001_endpoints_deliveries_attempts'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='delivery',
            name='webhook_lease',
        ),
        migrations.RenameField(
            model_name='delivery',
            old_name='claimed_at',
            new_name='lease_until',
        ),
        migrations.RunPython(claimed_at_to_lease_until, lease_until_to_claimed_at, elidable=True),
        migrations.AddIndex(
            model_name='delivery',
            index=models.Index(condition=models.Q(('status', 'sending')), fields=['lease_until'], name='webhook_lease'),
        ),
    ]
