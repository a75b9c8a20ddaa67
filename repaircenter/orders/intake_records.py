"""What intake records to settle a dispute later: the condition checklist of each kind of
equipment (the manager's list) and the answers given at the counter, the customer's signature
drawn on the pad, and the device's passcode, kept encrypted until the order closes.

The models live here, beside models.py (which imports them), so that intake's records read as
one piece; passcodes.py encrypts and checks the passcode, workflow/intake.py writes them all.
"""

from __future__ import annotations

import base64

from django.core.files.storage import default_storage
from django.db import models
from django.utils.translation import gettext_lazy as _

CHECK_LABEL_MAX = 100
CHECK_NOTE_MAX = 500


class ChecklistItem(models.Model):
    """One thing to look at when a kind of equipment is taken in (screen, housing, cameras…)."""

    kind = models.ForeignKey("orders.EquipmentKind", on_delete=models.CASCADE,
                             related_name="checklist_items", verbose_name=_("kind"))
    label = models.CharField(_("what to check"), max_length=CHECK_LABEL_MAX)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    required = models.BooleanField(
        _("must be checked"), default=False,
        help_text=_("The intake cannot be saved until this item is marked OK or damaged."))
    active = models.BooleanField(_("asked at intake"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("condition checklist item")
        verbose_name_plural = _("condition checklist")
        constraints = [models.UniqueConstraint(fields=["kind", "label"],
                                               name="checklist_item_once_per_kind")]

    def __str__(self) -> str:
        return self.label


class ConditionResult(models.TextChoices):
    OK = "ok", _("OK")
    DAMAGED = "damaged", _("Damaged")
    NOT_CHECKED = "not_checked", _("Not checked")


class ConditionCheck(models.Model):
    """The answer to one checklist item at intake, with the item's words as they were asked
    (the manager may rename or remove the item later; the record stays as signed)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE,
                              related_name="condition_checks")
    item = models.ForeignKey(ChecklistItem, on_delete=models.SET_NULL, null=True,
                             related_name="+")
    label = models.CharField(_("what was checked"), max_length=CHECK_LABEL_MAX)
    position = models.PositiveSmallIntegerField(default=0)
    required = models.BooleanField(default=False)
    result = models.CharField(_("result"), max_length=12, choices=ConditionResult.choices)
    note = models.CharField(_("note"), max_length=CHECK_NOTE_MAX, blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.label}: {self.get_result_display()}"


def condition_photo_path(photo: ConditionPhoto, filename: str) -> str:
    return f"photos/{photo.check_item.order_id}/condition/{filename}"


class ConditionPhoto(models.Model):
    check_item = models.ForeignKey(ConditionCheck, on_delete=models.CASCADE,
                                   related_name="photos")
    image = models.ImageField(upload_to=condition_photo_path)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.image.name


class IntakeSignature(models.Model):
    """The customer's signature drawn on the pad at intake: they accept the terms and the
    condition recorded. An order signed on the paper copy has none."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, primary_key=True,
                                 related_name="intake_signature")
    image = models.CharField(max_length=200)  # the PNG's path in the media storage
    signed_at = models.DateTimeField(_("signed"))

    def __str__(self) -> str:
        return f"{self.order_id} {self.signed_at:%Y-%m-%d %H:%M}"

    @property
    def data_url(self) -> str:
        """The PNG inline, for the printed intake order (its stored copy holds the image)."""
        try:
            with default_storage.open(self.image, "rb") as handle:
                return "data:image/png;base64," + base64.b64encode(handle.read()).decode()
        except FileNotFoundError:
            return ""


class PasscodeKind(models.TextChoices):
    PIN = "pin", _("PIN")
    PASSWORD = "password", _("Password")
    PATTERN = "pattern", _("Pattern")


class DevicePasscode(models.Model):
    """The device's passcode, encrypted (passcodes.py); the row is deleted when the order is
    issued or disposed of. Never registered in the admin, never serialized."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, primary_key=True,
                                 related_name="device_passcode")
    kind = models.CharField(max_length=10, choices=PasscodeKind.choices)
    ciphertext = models.TextField()
    saved_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"<DevicePasscode order={self.order_id} kind={self.kind}>"

    __repr__ = __str__
