"""Intake: the order is made, with its equipment, photos, link and pickup code; and the link
and the pickup code replaced later."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from repaircenter.accounts.roles import Role
from repaircenter.centers.models import Center
from repaircenter.core.files import delete_unless_held
from repaircenter.core.models import CenterSettings
from repaircenter.customers.devices import SeveralDevices, device_for_intake
from repaircenter.customers.services import save_customer_for_intake
from repaircenter.documents.numbering import next_number

from .. import documents as paperwork
from ..credentials import new_pickup_code, new_portal_link, pickup_code_digest, portal_token
from ..models import Equipment, EquipmentKind, EquipmentPhoto, EventChannel, Order, Status
from ..states import CLOSED_STATES
from ..warranty import ClaimRefused, check_claim
from .base import ZERO, Actor, NotAllowed, Refused, WrongState, actor_channel, write_event
from .records import ConditionAnswer, Passcode, check_records, save_records

R, M = Role.RECEPTIONIST, Role.MANAGER


@dataclass(frozen=True)
class EquipmentDetails:
    kind_id: int
    brand: str
    model: str
    serial_number: str
    imei: str
    condition: str
    accessories: str
    fault: str
    # The device chosen when its serial number or IMEI matches several (customers/devices.py).
    device_id: int | None = None


@dataclass(frozen=True)
class CustomerDetails:
    """The customer as the intake form gives them; the phone is already E.164."""

    phone: str
    name: str
    email: str = ""
    preferred_channels: tuple[str, ...] = ()
    # Of their messages, order page and documents; empty: the center's.
    language: str = ""


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    pickup_code: str
    # True when this submission repeated one already saved (a double click, a reload).
    repeated: bool


INTAKE_ROLES = frozenset({R, M})


def center_sequence(center: Center) -> str:
    """The name of the center's own count of orders (documents.Sequence)."""
    return f"order:{center.pk}"


def take_in(
    *,
    actor: Actor,
    customer: CustomerDetails,
    equipment: EquipmentDetails,
    photos: Iterable[ContentFile] = (),
    intake_key: uuid.UUID | None = None,
    now: datetime.datetime | None = None,
    center: Center | None = None,
    warranty_of: Order | None = None,
    condition: Iterable[ConditionAnswer] | None = None,
    signature: str = "",
    passcode: Passcode | None = None,
) -> IntakeResult:
    """Create the order in `received` at `center` (by default the first that takes equipment
    in), with its equipment, photos, link and pickup code, and
    the customer found by phone (or created), all in one transaction.

    The same `intake_key` twice (a double-clicked submit) makes one order: the repeat gets the
    order already made, with a new pickup code that replaces the first (only the page the
    browser shows last is printed).

    The equipment is linked to its device (found by serial number or IMEI, or new); a serial
    matching several devices is refused (SeveralDevicesMatch) unless `equipment.device_id`
    chooses one. With `warranty_of`, the order is a warranty claim on that earlier order:
    refused (Refused) unless it was issued repaired and a line's warranty still runs.
    With it are saved the answers to the kind's condition checklist (`condition`; required
    items must be answered), the customer's signature drawn on the pad (`signature`, a PNG
    data: URL; empty when they sign the paper copy) and the device's passcode, encrypted.
    Any of them wrong: ValidationError, and nothing is saved.
    """
    if not actor.roles & INTAKE_ROLES:
        raise NotAllowed(_("Your role does not allow taking in equipment."))
    now = now or timezone.now()
    if intake_key is not None:
        existing = Order.objects.filter(intake_key=intake_key).first()
        if existing is not None:
            return _repeated_intake(existing, actor)
    records = check_records(kind_id=equipment.kind_id, condition=condition,
                            signature=signature, passcode=passcode)
    code = new_pickup_code()
    saved: list[EquipmentPhoto] = []
    written: list[str] = []
    try:
        with transaction.atomic():
            chain = CenterSettings.load()
            center = center or Center.default()
            kind = EquipmentKind.objects.get(pk=equipment.kind_id)
            device = _device(equipment, warranty_of, center.local_date(now))
            order = Order.objects.create(
                number=next_number("order"),
                center=center,
                number_prefix=center.number_prefix,
                center_number=next_number(center_sequence(center)),
                customer=save_customer_for_intake(
                    phone=customer.phone,
                    name=customer.name,
                    email=customer.email,
                    preferred_channels=list(customer.preferred_channels),
                    language=customer.language,
                    new_customer_language=center.language,
                ),
                status=Status.RECEIVED,
                received_at=now,
                received_by=actor.user,
                diagnosis_due=center.working_days_after(center.local_date(now),
                                                        chain.diagnostics_target_days),
                diagnostics_fee=kind.diagnostics_fee if chain.charge_diagnostics else ZERO,
                **new_portal_link(),
                pickup_code_digest=pickup_code_digest(code),
                intake_key=intake_key,
                warranty_of=warranty_of,
            )
            Equipment.objects.create(
                device=device,
                order=order,
                kind_id=equipment.kind_id,
                brand=equipment.brand,
                model=equipment.model,
                serial_number=equipment.serial_number,
                imei=equipment.imei,
                condition=equipment.condition,
                accessories=equipment.accessories,
                fault=equipment.fault,
            )
            for photo in photos:
                saved.append(EquipmentPhoto(order=order, image=photo))
                saved[-1].save()  # the file is written first, its row then committed with all
            facts = save_records(order, records, now=now, written=written)
            if warranty_of:
                facts["warranty_of"] = warranty_of.display_number
            write_event(
                order,
                action="take_in",
                actor=actor,
                channel=actor_channel(actor),
                at=now,
                from_status="",
                to_status=Status.RECEIVED,
                evidence=facts,
            )
            paperwork.issue_intake_order(order=order, issued_by=actor.user, now=now)
    except BaseException as error:
        # Nothing was kept: neither are the photos already written.
        delete_unless_held(
            [photo.image.name for photo in saved if photo.image._committed],
            lambda names: set(EquipmentPhoto.objects.filter(
                order_id=saved[0].order_id, image__in=names).values_list("image", flat=True)))
        for path in written:
            default_storage.delete(path)
        if not isinstance(error, IntegrityError) or intake_key is None:
            raise
        # Two submissions with one key raced; the other one made the order.
        return _repeated_intake(Order.objects.get(intake_key=intake_key), actor)
    return IntakeResult(order, code, False)


class SeveralDevicesMatch(Refused):
    """The serial number or IMEI matches several devices; `devices` are those to choose from."""

    def __init__(self, message: str, devices: list):
        super().__init__(message)
        self.devices = devices


def _device(equipment: EquipmentDetails, warranty_of: Order | None, today: datetime.date):
    if warranty_of is not None:
        original = Order.objects.select_related("equipment__device").get(pk=warranty_of.pk)
        try:
            check_claim(original, today)
        except ClaimRefused as refused:
            raise Refused(refused.message) from None
        if original.equipment.device_id is not None and equipment.device_id is None:
            # The claim is on this device: the same one, whatever its label says now.
            return original.equipment.device
    try:
        return device_for_intake(
            serial_number=equipment.serial_number, imei=equipment.imei, brand=equipment.brand,
            model=equipment.model, device_id=equipment.device_id)
    except SeveralDevices as several:
        raise SeveralDevicesMatch(
            _("This serial number or IMEI belongs to %(count)d devices on record. Choose which "
              "one this is.") % {"count": len(several.devices)},
            several.devices) from None


def _repeated_intake(order: Order, actor: Actor) -> IntakeResult:
    if order.status in CLOSED_STATES:
        raise WrongState(
            _("This intake form was already saved as order %(number)s, which is now closed. "
              "Start a new intake for new equipment.") % {"number": order.display_number}
        )
    return IntakeResult(order, reissue_pickup_code(order=order, actor=actor), True)



LINK_ROLES = frozenset({R, M})


@transaction.atomic
def replace_portal_link(*, order: Order, actor: Actor) -> str:
    """Revoke the customer's link and give the order a new one; the old one answers 404.
    Returns the new link's token: the one moment staff see it whole."""
    if not actor.roles & LINK_ROLES:
        raise NotAllowed(_("Your role does not allow replacing the customer's link."))
    return _new_link(order, actor)


@transaction.atomic
def renew_unwritable_link(*, order: Order) -> str | None:
    """A link made before tokens were derived (kept as a digest only) cannot be written into a
    message: when the customer asks for their link, the system gives the order a new one, as
    staff would replace it. None when the order's link can be written (nothing changes)."""
    if order.link_token is not None:
        return None
    return _new_link(order, Actor.system())


def _new_link(order: Order, actor: Actor) -> str:
    link = new_portal_link()
    Order.objects.filter(pk=order.pk).update(**link)
    write_event(
        order, action="link_replaced", actor=actor, channel=actor_channel(actor),
        at=timezone.now(), from_status=order.status, to_status=order.status,
    )
    for field, value in link.items():
        setattr(order, field, value)
    order.__dict__.pop("_link_token", None)
    return portal_token(link["portal_nonce"])


@transaction.atomic
def reissue_pickup_code(*, order: Order, actor: Actor) -> str:
    """A new pickup code for a reprinted customer's copy; the code on any earlier copy is void."""
    if not actor.roles & INTAKE_ROLES:
        raise NotAllowed(_("Your role does not allow printing the customer's copy."))
    if order.status in CLOSED_STATES:
        raise WrongState(_("This order is closed; its customer's copy cannot be reprinted."))
    code = new_pickup_code()
    # The version rises, so an issue started from a page loaded before the reprint, with the
    # old code, fails its compare-and-set instead of handing the equipment over.
    Order.objects.filter(pk=order.pk).update(
        pickup_code_digest=pickup_code_digest(code), version=F("version") + 1
    )
    write_event(
        order, action="pickup_code_reissued", actor=actor, channel=EventChannel.STAFF,
        at=timezone.now(), from_status=order.status, to_status=order.status,
        note=_("Customer's copy reprinted; the earlier pickup code is void."),
    )
    order.pickup_code_digest = pickup_code_digest(code)
    order.version = Order.objects.values_list("version", flat=True).get(pk=order.pk)
    return code

