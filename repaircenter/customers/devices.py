"""What identifies a piece of equipment across orders: its serial number and IMEI, normalised
so that a label read aloud, typed with spaces or scanned finds the same device."""

from __future__ import annotations

from django.db.models import Q

from .models import Device


def imei_is_valid(digits: str) -> bool:
    """15 digits whose last is the Luhn check digit of the first 14."""
    if len(digits) != 15 or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(digits[:14]):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10 == int(digits[14])


def normalize_serial(text: str) -> str:
    """Upper case, without spaces, dashes, dots or slashes ("r5cw 31-abc" -> "R5CW31ABC")."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def normalize_imei(text: str) -> str:
    """The digits of an IMEI as typed with spaces, dashes or slashes."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-/")


def matching_devices(*, serial_number: str = "", imei: str = "") -> list[Device]:
    """The devices whose serial number or IMEI is one of those given (normalised here), oldest
    first; both empty: none."""
    serial, digits = normalize_serial(serial_number), normalize_imei(imei)
    match = Q(pk__in=[])
    if serial:
        # A serial typed into either box finds the device: an IMEI is a phone's serial too.
        match |= Q(serial_number=serial) | Q(imei=serial)
    if digits:
        match |= Q(imei=digits) | Q(serial_number=digits)
    return list(Device.objects.filter(match).order_by("pk"))


class SeveralDevices(Exception):
    """The serial number or IMEI matches more than one device: the person must choose."""

    def __init__(self, devices: list[Device]):
        super().__init__([d.pk for d in devices])
        self.devices = devices


def device_for_intake(*, serial_number: str, imei: str, brand: str, model: str,
                      device_id: int | None = None) -> Device | None:
    """The device this equipment is: the one chosen (`device_id`, among those matching), the
    one device matching its serial number or IMEI, or a new one. None without either number.
    SeveralDevices when several match and none was chosen (or the one chosen does not match).
    """
    serial, digits = normalize_serial(serial_number), normalize_imei(imei)
    if not serial and not digits:
        return None
    found = matching_devices(serial_number=serial, imei=digits)
    if device_id is not None:
        chosen = next((d for d in found if d.pk == device_id), None)
        if chosen is None:
            raise SeveralDevices(found)
        device = chosen
    elif len(found) > 1:
        raise SeveralDevices(found)
    elif found:
        device = found[0]
    else:
        return Device.objects.create(serial_number=serial, imei=digits, brand=brand.strip(),
                                     model=model.strip())
    # What the device is known by grows with what each intake reads off it.
    missing = {field: value for field, value in
               (("serial_number", serial), ("imei", digits), ("brand", brand.strip()),
                ("model", model.strip())) if value and not getattr(device, field)}
    if missing:
        Device.objects.filter(pk=device.pk).update(**missing)
        for field, value in missing.items():
            setattr(device, field, value)
    return device
