"""StateCount, and the triggers that write it (orders/models.py says why)."""

import django.db.models.deletion
from django.db import migrations, models

# The rows of orders_statecount (StateCount), written by the database on every order taken in
# and every change of an order's state or center, whatever makes it.
TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION orders_count_state() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                INSERT INTO orders_statecount (center_id, status, orders)
                VALUES (OLD.center_id, OLD.status, -1), (NEW.center_id, NEW.status, 1);
            ELSE
                INSERT INTO orders_statecount (center_id, status, orders)
                VALUES (NEW.center_id, NEW.status, 1);
            END IF;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER orders_count_state_taken_in AFTER INSERT ON orders_order
        FOR EACH ROW EXECUTE FUNCTION orders_count_state()""",
        """CREATE TRIGGER orders_count_state_changed AFTER UPDATE OF status, center_id
        ON orders_order FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.center_id IS DISTINCT FROM NEW.center_id)
        EXECUTE FUNCTION orders_count_state()""",
    ],
    "sqlite": [
        """CREATE TRIGGER orders_count_state_taken_in AFTER INSERT ON orders_order BEGIN
            INSERT INTO orders_statecount (center_id, status, orders)
            VALUES (NEW.center_id, NEW.status, 1);
        END""",
        """CREATE TRIGGER orders_count_state_changed AFTER UPDATE OF status, center_id
        ON orders_order
        WHEN OLD.status IS NOT NEW.status OR OLD.center_id IS NOT NEW.center_id BEGIN
            INSERT INTO orders_statecount (center_id, status, orders)
            VALUES (OLD.center_id, OLD.status, -1), (NEW.center_id, NEW.status, 1);
        END""",
    ],
}
NO_TRIGGERS = {
    "postgresql": ["DROP TRIGGER orders_count_state_changed ON orders_order",
                   "DROP TRIGGER orders_count_state_taken_in ON orders_order",
                   "DROP FUNCTION orders_count_state()"],
    "sqlite": ["DROP TRIGGER orders_count_state_changed",
               "DROP TRIGGER orders_count_state_taken_in"],
}
# The orders there already, counted once.
COUNTED = ("INSERT INTO orders_statecount (center_id, status, orders) "
           "SELECT center_id, status, COUNT(*) FROM orders_order GROUP BY center_id, status")


def make_triggers(apps, schema_editor):
    for statement in [*TRIGGERS[schema_editor.connection.vendor], COUNTED]:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    for statement in NO_TRIGGERS[schema_editor.connection.vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('centers', '0005_lang_language'),
        ('orders', '0023_order_queue_ready_unreached'),
    ]

    operations = [
        migrations.CreateModel(
            name='StateCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('received', 'Received'), ('diagnosing', 'Diagnosing'), ('awaiting_decision', 'Awaiting decision'), ('approved', 'Approved'), ('waiting_for_parts', 'Waiting for parts'), ('repairing', 'Repairing'), ('testing', 'Stress test'), ('ready_repaired', 'Ready for collection (repaired)'), ('ready_unrepaired', 'Ready for collection (unrepaired)'), ('issued', 'Issued'), ('disposal_due', 'Due for disposal'), ('disposed', 'Disposed')], max_length=20)),
                ('orders', models.IntegerField()),
                ('center', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='centers.center')),
            ],
            options={
                'indexes': [models.Index(fields=['status', 'center'], name='state_count_of')],
            },
        ),
        migrations.RunPython(make_triggers, drop_triggers),
    ]
