from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0014_order_center_number")]

    operations = [
        migrations.AlterField(
            model_name="order", name="center_number",
            field=models.PositiveIntegerField(editable=False, verbose_name="number at its center"),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.UniqueConstraint(fields=("center", "center_number"),
                                               name="order_number_per_center"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["center_number"], name="order_center_number"),
        ),
    ]
