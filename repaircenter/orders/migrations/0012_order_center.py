"""Orders belong to a center: those taken in before there were several belong to the first."""

import django.db.models.deletion
from django.db import migrations, models


def to_first_center(apps, schema_editor):
    Center = apps.get_model("centers", "Center")
    Order = apps.get_model("orders", "Order")
    first = Center.objects.order_by("pk").first()
    Order.objects.filter(center__isnull=True).update(center=first)


class Migration(migrations.Migration):
    dependencies = [
        ("centers", "0002_first_center"),
        ("orders", "0011_portal_link_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="center",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="orders", to="centers.center",
                                    verbose_name="center"),
        ),
        migrations.RunPython(to_first_center, migrations.RunPython.noop),
    ]
