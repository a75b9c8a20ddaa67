import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0012_order_center")]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="center",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                    related_name="orders", to="centers.center",
                                    verbose_name="center"),
        ),
    ]
