"""Everyone who worked at the one center before there were several works at the first center
(API tokens' accounts included), so that nobody loses an order they could see."""

from django.conf import settings
from django.db import migrations


def everyone_to_the_first_center(apps, schema_editor):
    Center = apps.get_model("centers", "Center")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    first = Center.objects.order_by("pk").first()
    if first is not None:
        first.staff.add(*User.objects.values_list("pk", flat=True))


class Migration(migrations.Migration):
    dependencies = [("centers", "0003_staff")]

    operations = [migrations.RunPython(everyone_to_the_first_center, migrations.RunPython.noop)]
