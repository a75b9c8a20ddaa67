"""What intake records beside the order (intake_records.py): the condition checklist's answers,
the customer's signature on the pad, the device's passcode; and the passcode's viewing and
erasure. `take_in` calls `check_records` before its transaction and `save_records` inside it."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role

from .. import passcodes
from ..intake_records import (
    ChecklistItem,
    ConditionCheck,
    ConditionPhoto,
    ConditionResult,
    DevicePasscode,
    IntakeSignature,
)
from ..models import Order
from ..signatures import check_signature, save_signature_png
from .base import Actor, NotAllowed, Refused, actor_channel, write_event

# Who may read the device's passcode: those who test the device.
PASSCODE_ROLES = frozenset({Role.TECHNICIAN, Role.MANAGER})


@dataclass(frozen=True)
class ConditionAnswer:
    """The answer to one item of the kind's checklist."""

    item_id: int
    result: str
    note: str = ""
    photos: tuple[ContentFile, ...] = ()


@dataclass(frozen=True)
class Passcode:
    kind: str
    value: str = field(repr=False)  # never in a log line or a traceback's locals repr


@dataclass(frozen=True)
class IntakeRecords:
    """What `take_in` was given, checked: the checks to save, the signature's PNG, the
    passcode as it will be encrypted."""

    checks: list[ConditionCheck]
    photos: list[tuple[int, ContentFile]]  # (index in checks, photo)
    signature_png: bytes | None
    passcode: Passcode | None


def checklist(kind_id: int) -> list[ChecklistItem]:
    """The items asked at intake for a kind of equipment, in the manager's order."""
    return list(ChecklistItem.objects.filter(kind_id=kind_id, active=True))


def check_condition(kind_id: int, answers: Iterable[ConditionAnswer]
                    ) -> tuple[list[ConditionCheck], list[tuple[int, ContentFile]]]:
    """The kind's checklist answered: every item once, an item not answered is "not checked";
    a required item must be OK or damaged, and damage must be described. ValidationError
    naming every item to correct, else the unsaved checks and their photos."""
    items = checklist(kind_id)
    given: dict[int, ConditionAnswer] = {}
    for answer in answers:
        if answer.item_id in given:
            raise ValidationError(_("A checklist item was answered twice."))
        given[answer.item_id] = answer
    unknown = set(given) - {item.pk for item in items}
    if unknown:
        raise ValidationError(_("An answer names an item that is not on this kind of "
                                "equipment's checklist; reload the form."))
    problems: list[str] = []
    checks: list[ConditionCheck] = []
    photos: list[tuple[int, ContentFile]] = []
    for item in items:
        answer = given.get(item.pk)
        result = answer.result if answer else ConditionResult.NOT_CHECKED
        note = (answer.note if answer else "").strip()
        if result not in ConditionResult.values:
            problems.append(_("%(item)s: choose OK, damaged or not checked.")
                            % {"item": item.label})
            continue
        if item.required and result == ConditionResult.NOT_CHECKED:
            problems.append(_("%(item)s must be checked: mark it OK or damaged.")
                            % {"item": item.label})
        if result == ConditionResult.DAMAGED and not note:
            problems.append(_("%(item)s is marked damaged: describe the damage in its note.")
                            % {"item": item.label})
        if len(note) > 500:
            problems.append(_("%(item)s: the note is longer than 500 characters.")
                            % {"item": item.label})
        checks.append(ConditionCheck(item=item, label=item.label, position=item.position,
                                     required=item.required, result=result, note=note))
        photos += [(len(checks) - 1, photo) for photo in (answer.photos if answer else ())]
    if problems:
        raise ValidationError(problems)
    return checks, photos


def check_records(*, kind_id: int, condition: Iterable[ConditionAnswer] | None,
                  signature: str, passcode: Passcode | None) -> IntakeRecords:
    """Everything intake records beside the order, checked before anything is saved."""
    checks, photos = check_condition(kind_id, condition or ())
    png = check_signature(signature) if signature else None
    kept = None
    if passcode is not None and (passcode.value or "").strip():
        kept = Passcode(passcode.kind, passcodes.clean_passcode(passcode.kind, passcode.value))
    return IntakeRecords(checks, photos, png, kept)


def save_records(order: Order, records: IntakeRecords, *, now: datetime.datetime,
                 written: list[str]) -> dict:
    """Save the records of a new order (inside take_in's transaction); the paths of the files
    written go to `written`, for take_in to delete if the transaction fails. Returns what the
    intake's event says of them (never the passcode)."""
    for check in records.checks:
        check.order = order
    ConditionCheck.objects.bulk_create(records.checks)
    for index, photo in records.photos:
        saved = ConditionPhoto(check_item=records.checks[index], image=photo)
        saved.save()
        written.append(saved.image.name)
    if records.signature_png is not None:
        path = save_signature_png(order.pk, records.signature_png)
        written.append(path)
        IntakeSignature.objects.create(order=order, image=path, signed_at=now)
    if records.passcode is not None:
        DevicePasscode.objects.create(order=order, kind=records.passcode.kind,
                                      ciphertext=passcodes.encrypt(records.passcode.value),
                                      saved_at=now)
    facts = {"signed": "pad" if records.signature_png is not None else "paper"}
    if records.checks:
        facts["condition"] = {result: sum(1 for c in records.checks if c.result == result)
                              for result in ConditionResult.values}
    if records.passcode is not None:
        facts["passcode"] = records.passcode.kind  # its kind only
    return facts


def show_passcode(*, order: Order, actor: Actor) -> tuple[str, str]:
    """The device's passcode (its kind, its text) for a technician or a manager; each viewing
    is an event of the order."""
    if not actor.roles & PASSCODE_ROLES:
        raise NotAllowed(_("Only technicians and managers may see the device's passcode."))
    stored = DevicePasscode.objects.filter(order=order).first()
    if stored is None:
        raise Refused(_("Order %(number)s has no passcode on record (none was given, or it "
                        "was erased when the order closed).") % {"number": order.display_number})
    try:
        text = passcodes.decrypt(stored.ciphertext)
    except ValidationError as error:
        raise Refused(error.messages[0]) from None
    write_event(order, action="passcode_viewed", actor=actor, channel=actor_channel(actor),
                at=timezone.now(), from_status=order.status, to_status=order.status,
                evidence={"kind": stored.kind})
    return stored.kind, text


def erase_passcodes(*, order_ids: Sequence[int], actor: Actor,
                    now: datetime.datetime | None = None) -> int:
    """Delete the passcodes of orders that closed (issued, disposed of), with an event on each
    order that had one. Call inside the closing transaction."""
    now = now or timezone.now()
    held = dict(DevicePasscode.objects.filter(order_id__in=order_ids)
                .values_list("order_id", "kind"))
    if not held:
        return 0
    DevicePasscode.objects.filter(order_id__in=list(held)).delete()
    for order in Order.objects.filter(pk__in=list(held)).order_by("pk"):
        write_event(order, action="passcode_erased", actor=actor, channel=actor_channel(actor),
                    at=now, from_status=order.status, to_status=order.status,
                    evidence={"kind": held[order.pk]})
    return len(held)
