"""The catalogue from a supplier's CSV list: every row checked first, then all saved in one
transaction, or none with each bad row and its reason.

Columns (a header row names them; order free): sku, name, fits, purchase_cost, selling_price,
minimum, serial_tracked. sku, name, purchase_cost and selling_price are required; a known sku
updates its part.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from .models import Part

REQUIRED = ("sku", "name", "purchase_cost", "selling_price")
COLUMNS = (*REQUIRED, "fits", "minimum", "serial_tracked")
MAX_ROWS = 100_000
YES = {"1", "yes", "y", "true", "x"}
NO = {"", "0", "no", "n", "false"}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    @property
    def ok(self) -> bool:
        return not self.errors


def _money(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(_("%(what)s is not an amount: “%(text)s”")
                         % {"what": what, "text": text}) from None
    if not value.is_finite() or value < 0 or value >= Decimal("10000000000"):
        raise ValueError(_("%(what)s must be zero or more: “%(text)s”")
                         % {"what": what, "text": text})
    return value.quantize(Decimal("0.01"))


def _row(values: dict[str, str]) -> dict:
    sku = values.get("sku", "").strip()
    name = values.get("name", "").strip()
    if not sku:
        raise ValueError(_("the part code (sku) is empty"))
    if len(sku) > 40:
        raise ValueError(_("the part code is longer than 40 characters"))
    if not name or len(name) > 200:
        raise ValueError(_("the name is empty or longer than 200 characters"))
    minimum = values.get("minimum", "").strip() or "0"
    if not minimum.isdigit():
        raise ValueError(_("the minimum must be a whole number of units: “%(text)s”")
                         % {"text": minimum})
    tracked = values.get("serial_tracked", "").strip().lower()
    if tracked not in YES | NO:
        raise ValueError(_("serial_tracked must be yes or no: “%(text)s”") % {"text": tracked})
    return {
        "sku": sku, "name": name, "fits": values.get("fits", "").strip(),
        "purchase_cost": _money(values.get("purchase_cost", ""), _("the purchase cost")),
        "selling_price": _money(values.get("selling_price", ""), _("the selling price")),
        "minimum": int(minimum), "serial_tracked": tracked in YES,
    }


def import_csv(data: bytes) -> ImportResult:
    result = ImportResult()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.errors.append((0, _("The file is not UTF-8 text (save it as CSV UTF-8).")))
        return result
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        result.errors.append((1, _("The header lacks the columns: %(columns)s.")
                              % {"columns": ", ".join(missing)}))
        return result
    reader.fieldnames = header
    rows: dict[str, dict] = {}
    for number, values in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            result.errors.append((number, _("More than %(n)s rows: split the file.")
                                  % {"n": MAX_ROWS}))
            break
        values = {k: (v or "") for k, v in values.items() if k}
        if not any(v.strip() for v in values.values()):
            continue
        try:
            row = _row(values)
        except ValueError as error:
            result.errors.append((number, str(error)))
            continue
        if row["sku"] in rows:
            result.errors.append((number, _("the part code %(sku)s appears twice")
                                  % {"sku": row["sku"]}))
            continue
        rows[row["sku"]] = row
    if result.errors:
        return result
    with transaction.atomic():
        skus, known = list(rows), {}
        for start in range(0, len(skus), 5000):  # SQLite's limit on a query's parameters
            known.update((p.sku, p) for p in Part.objects.filter(
                sku__in=skus[start:start + 5000]).select_for_update())
        fresh = [Part(**row) for sku, row in rows.items() if sku not in known]
        Part.objects.bulk_create(fresh, batch_size=1000)
        changed = []
        for sku, part in known.items():
            for key, value in rows[sku].items():
                setattr(part, key, value)
            changed.append(part)
        Part.objects.bulk_update(changed, [c for c in COLUMNS if c != "sku"], batch_size=1000)
    result.created, result.updated = len(fresh), len(changed)
    return result
