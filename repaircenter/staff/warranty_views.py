"""The device's history at intake, and a warranty claim started from an earlier order."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from repaircenter.accounts.permissions import role_required
from repaircenter.accounts.roles import Role
from repaircenter.orders.warranty import ClaimStart, claim_start, device_panel

INTAKE = (Role.RECEPTIONIST, Role.MANAGER)


def _today(request):
    center = request.workplace.center
    return center.local_date(timezone.now()) if center else timezone.localdate()


@require_GET
@role_required(*INTAKE)
def device_history(request):
    """While the receptionist types or scans the serial number or IMEI: the devices it
    matches, their earlier orders, what was done and which warranties still run."""
    serial, imei = request.GET.get("serial_number", "")[:64], request.GET.get("imei", "")[:20]
    known = device_panel(serial_number=serial, imei=imei, today=_today(request))
    return render(request, "staff/_intake_device.html",
                  {"known": known, "typed": bool(serial.strip() or imei.strip()),
                   "can_take_in": True, "chosen": request.GET.get("device", "")})


def claim_for_intake(request) -> tuple[ClaimStart | None, dict]:
    """From `?warranty_of=<number>`: the claim about to be taken in, and the intake form's
    initial values from the earlier order (the customer may be another: they are editable)."""
    text = request.GET.get("warranty_of", "")
    if not text.isdigit():
        return None, {}
    claim = claim_start(int(text), _today(request))
    if claim is None:
        return None, {}
    original = claim.original
    equipment = original.equipment
    initial = {
        "phone": str(original.customer.phone), "name": original.customer.name,
        "email": original.customer.email, "kind": equipment.kind_id, "brand": equipment.brand,
        "model": equipment.model, "serial_number": equipment.serial_number,
        "imei": equipment.imei,
        **{f"channel_{i}": channel for i, channel in
           enumerate(original.customer.preferred_channels[:3], start=1)},
    }
    if not claim.refused:
        initial["warranty_of"] = original.number
    return claim, initial
