from django.db import migrations

KINDS = [
    "Phone", "Tablet", "Laptop", "Desktop computer", "Monitor", "Game console",
    "Printer", "Household appliance", "Other",
]


def create_kinds(apps, schema_editor):
    EquipmentKind = apps.get_model("orders", "EquipmentKind")
    for position, name in enumerate(KINDS):
        EquipmentKind.objects.get_or_create(name=name, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(create_kinds, migrations.RunPython.noop)]
