"""Every install has at least one center: the one it was before there were several, with the
contacts from the center settings and the chain's time zone. Its orders keep the R- prefix."""

from django.conf import settings
from django.db import migrations


def first_center(apps, schema_editor):
    Center = apps.get_model("centers", "Center")
    CenterSettings = apps.get_model("core", "CenterSettings")
    if Center.objects.exists():
        return
    chain = CenterSettings.objects.filter(pk=1).first()
    Center.objects.create(
        name=chain.name if chain else "Repair Center",
        address=chain.address if chain else "",
        phone=chain.phone if chain else "",
        email=chain.email if chain else "",
        hours=chain.hours if chain else "",
        time_zone=settings.TIME_ZONE,
        number_prefix="R",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("centers", "0001_initial"),
        ("core", "0006_merge_0004_reminder_days_0005_rate_counts"),
    ]

    operations = [migrations.RunPython(first_center, migrations.RunPython.noop)]
