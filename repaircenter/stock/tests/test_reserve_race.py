"""Two orders reserving the last unit at once: exactly one gets it. With two threads on their
own connections (SQLite and PostgreSQL), and with two real processes on PostgreSQL."""

import os
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from repaircenter.centers.models import Center
from repaircenter.conftest import race
from repaircenter.stock import services
from repaircenter.stock.models import Movement, MovementKind, Part, StockLevel
from repaircenter.stock.services import StockError

# The seeded rows (centers, roles) are data migrations: restored after each flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _last_unit() -> tuple[int, int]:
    center = Center.default()
    part = Part.objects.create(sku="BAT-1", name="Battery", purchase_cost=Decimal("5.00"),
                               selling_price=Decimal("20.00"))
    services.receive(center_id=center.pk, part_id=part.pk, quantity=1)
    return center.pk, part.pk


@pytest.mark.parametrize("partial", [False, True])
def test_two_threads_reserving_the_last_unit_exactly_one_gets_it(separate_connections, partial):
    center_id, part_id = _last_unit()

    def reserve_for(order_ref):
        def prepare():
            return lambda: services.reserve(center_id=center_id, part_id=part_id, quantity=1,
                                            order_ref=order_ref, partial=partial)
        return prepare

    results = race(reserve_for(1), reserve_for(2))
    if partial:  # the loser gets none rather than an error
        assert results == ["ok", "ok"]
    else:
        assert sorted(map(str, results)).count("ok") == 1, results
        assert any(isinstance(r, StockError) for r in results), results
    level = StockLevel.objects.get(center_id=center_id, part_id=part_id)
    assert (level.on_hand, level.reserved) == (1, 1)
    assert Movement.objects.filter(kind=MovementKind.RESERVED).count() == 1


def _database_url() -> str:
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


RESERVER = textwrap.dedent("""
    import os, sys, time
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "repaircenter.settings")
    import django
    django.setup()
    from repaircenter.stock import services
    center_id, part_id, order_ref = map(int, sys.argv[1:4])
    go = sys.argv[4]
    from django.db import connection
    connection.ensure_connection()
    while not os.path.exists(go):
        time.sleep(0.005)
    try:
        services.reserve(center_id=center_id, part_id=part_id, quantity=1, order_ref=order_ref)
        print("reserved")
    except services.StockError as error:
        print("refused:", error.message)
""")


def test_two_processes_reserving_the_last_unit_exactly_one_gets_it(tmp_path: Path):
    if connection.vendor != "postgresql":
        pytest.skip("two processes share a PostgreSQL database (set DATABASE_URL)")
    center_id, part_id = _last_unit()
    go = tmp_path / "go"
    env = {**os.environ, "DATABASE_URL": _database_url(), "REPAIRCENTER_DATA": str(tmp_path)}
    processes = [
        subprocess.Popen([sys.executable, "-c", RESERVER, str(center_id), str(part_id),
                          str(ref), str(go)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for ref in (1, 2)
    ]
    time.sleep(3)  # both connected and waiting
    go.touch()
    outputs = [p.communicate(timeout=60) for p in processes]
    said = sorted(out.strip().split(":")[0] for out, _err in outputs)
    assert said == ["refused", "reserved"], outputs
    level = StockLevel.objects.get(center_id=center_id, part_id=part_id)
    assert (level.on_hand, level.reserved) == (1, 1)
    assert list(Movement.objects.filter(kind=MovementKind.RESERVED)
                .values_list("order_ref", flat=True)).__len__() == 1
