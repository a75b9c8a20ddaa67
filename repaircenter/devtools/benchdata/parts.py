"""A chain's parts catalogue for the benchmark: N parts for the equipment the orders are made of
(a screen, a battery, a port… of each model, in many variants, as a supplier's list has them),
the flagship's stock of each, and a supplier. Written in bulk beside the orders (or alone, into
a database that already has its orders)."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from django.db import connection, transaction

from repaircenter.centers.models import Center
from repaircenter.stock.models import Part, StockLevel, Supplier

from .vocabulary import EQUIPMENT

PART_TYPES = ("Screen", "Battery", "Charging port", "Camera", "Speaker", "Keyboard", "Fan",
              "Power board", "Hinge", "Back cover")
SERIAL_TRACKED = {"Screen", "Power board", "Battery"}
SUPPLIER = "Bench Parts Ltd"
BATCH = 5_000


def add_catalogue(count: int, *, seed: int = 1, log: Callable[[str], None] = print) -> int:
    """`count` parts, with stock at the flagship (the first center); refuses a database that has
    a catalogue already. Returns the parts written."""
    if Part.objects.exists():
        raise ValueError("the database already has a parts catalogue")
    rng = random.Random(seed)  # noqa: S311 — made-up data, repeatable by seed
    models = [(brand, model) for entries in EQUIPMENT.values() for brand, model, _imei in entries]
    flagship = Center.default()
    Supplier.objects.get_or_create(name=SUPPLIER)
    written = 0
    for first in range(0, count, BATCH):
        parts = []
        for index in range(first, min(count, first + BATCH)):
            kind = PART_TYPES[index % len(PART_TYPES)]
            brand, model = models[(index // len(PART_TYPES)) % len(models)]
            variant = index // (len(PART_TYPES) * len(models))
            cost = Decimal(rng.randrange(300, 20_000)) / 100
            parts.append(Part(
                sku=f"P{index + 1:07d}",
                name=f"{kind} {brand} {model}" + (f" (variant {variant})" if variant else ""),
                fits=f"{brand} {model}", purchase_cost=cost,
                selling_price=(cost * Decimal("1.8")).quantize(Decimal("0.01")),
                minimum=rng.choice((0, 0, 1, 2)), serial_tracked=kind in SERIAL_TRACKED,
            ))
        with transaction.atomic():
            made = Part.objects.bulk_create(parts)
            StockLevel.objects.bulk_create(
                StockLevel(center=flagship, part=part, on_hand=rng.randrange(0, 9))
                for part in made)
        written += len(made)
        log(f"{written} parts written")
    with connection.cursor() as cursor:  # the planner learns the catalogue's size
        for model in (Part, StockLevel):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return written
