"""The centers the benchmark's orders are taken in: the chain's centers, the kinds of equipment
with their price list and stress-test procedures (the demo's), the staff who act on the orders,
and one stored PDF per kind of document."""

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.centers.models import Center
from repaircenter.devtools.demo import PRICE_LIST, PROCEDURES, WARRANTY_MONTHS
from repaircenter.documents.models import DocumentKind
from repaircenter.orders.models import EquipmentKind, PriceListEntry, TestProcedure

from .vocabulary import EQUIPMENT


@dataclass
class Staff:
    reception: list[int]
    technicians: list[int]
    cashier: int
    manager: int
    consultant: int


def equipment_kinds() -> dict[str, EquipmentKind]:
    """The kinds by name, each with the demo's diagnostics fee and warranty; the price list and
    the procedures too, when the database has none."""
    kinds = {k.name: k for k in EquipmentKind.objects.all()}
    for name in EQUIPMENT:
        if name not in kinds:
            kinds[name] = EquipmentKind.objects.create(name=name)
    for name, (fee, _entries) in PRICE_LIST.items():
        kinds[name].diagnostics_fee = Decimal(fee)
        kinds[name].warranty_months = WARRANTY_MONTHS.get(name, 3)
        kinds[name].save(update_fields=["diagnostics_fee", "warranty_months"])
    if not PriceListEntry.objects.exists():
        PriceListEntry.objects.bulk_create(
            PriceListEntry(equipment_kind=kinds[name], line_kind=k, description=d,
                           unit_price=Decimal(p))
            for name, (_fee, entries) in PRICE_LIST.items() for k, d, p in entries
        )
    if not TestProcedure.objects.exists():
        TestProcedure.objects.bulk_create(
            TestProcedure(equipment_kind=kinds[k] if k else None, name=n,
                          duration_minutes=m, procedure=t)
            for k, n, m, t in PROCEDURES
        )
    return kinds


def chain_centers(count: int) -> list[Center]:
    """The first center and `count - 1` more (Bench 02, prefix BAB, …), in the first's time
    zone and with its hours, so that every center's deadlines fall as the template's do."""
    first = Center.default()
    centers = [first]
    for index in range(1, count):
        prefix = "B" + chr(ord("A") + index // 26) + chr(ord("A") + index % 26)
        center, _made = Center.objects.get_or_create(
            number_prefix=prefix,
            defaults={"name": f"Bench {index + 1:02d}", "time_zone": first.time_zone,
                      "hours": first.hours, "address": f"{index + 1} High Street",
                      "phone": first.phone, "shelves": first.shelves},
        )
        centers.append(center)
    return centers


def staff_users(centers: list[Center]) -> Staff:
    groups = {g.name: g for g in Group.objects.filter(name__in=[r.value for r in Role])}

    def user(username: str, first: str, last: str, role: str) -> int:
        existing = User.objects.filter(username=username).first()
        if existing:
            return existing.pk
        made = User(username=username, first_name=first, last_name=last,
                    is_staff=role == Role.MANAGER)
        made.set_unusable_password()
        made.save()
        made.groups.add(groups[role])
        for center in centers:  # everyone may work anywhere; the benchmark chooses one
            center.staff.add(made)
        return made.pk

    return Staff(
        reception=[user(f"bench-reception{i}", "Rita", f"Desk{i}", Role.RECEPTIONIST)
                   for i in range(1, 4)],
        technicians=[user(f"bench-tech{i}", "Tomasz", f"Bench{i}", Role.TECHNICIAN)
                     for i in range(1, 6)],
        cashier=user("bench-cashier", "Kwame", "Till", Role.CASHIER),
        manager=user("bench-manager", "Maria", "Lopez", Role.MANAGER),
        consultant=user("bench-consultant", "Chloe", "Adams", Role.CONSULTANT),
    )


def stored_pdfs() -> dict[str, tuple[str, str]]:
    """One small stored PDF per kind of document: (file name, SHA-256)."""
    pdfs = {}
    for kind in DocumentKind.values:
        body = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
                b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
        name = f"documents/bench/{kind}.pdf"
        if not default_storage.exists(name):
            name = default_storage.save(name, ContentFile(body))
        pdfs[kind] = (name, hashlib.sha256(body).hexdigest())
    return pdfs
