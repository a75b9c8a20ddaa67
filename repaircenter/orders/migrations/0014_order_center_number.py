"""Each center counts its orders: those taken in before count as the first center's, with the
numbers and the R- prefix printed on their papers, and its count goes on from theirs."""

from django.db import migrations, models
from django.db.models import F, Max


def number_at_first_center(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    Center = apps.get_model("centers", "Center")
    Sequence = apps.get_model("documents", "Sequence")
    Order.objects.update(number_prefix="R", center_number=F("number"))
    first = Center.objects.order_by("pk").first()
    if first is None:
        return
    last = Order.objects.filter(center=first).aggregate(last=Max("center_number"))["last"] or 0
    Sequence.objects.update_or_create(name=f"order:{first.pk}", defaults={"last": last})


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_document_pdf_lease"),
        ("orders", "0013_order_center_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="order", name="number_prefix",
            field=models.CharField(default="R", editable=False, max_length=4,
                                   verbose_name="number prefix"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="order", name="center_number",
            field=models.PositiveIntegerField(editable=False, null=True,
                                              verbose_name="number at its center"),
        ),
        migrations.RunPython(number_at_first_center, migrations.RunPython.noop),
    ]
