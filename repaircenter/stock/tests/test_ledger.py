"""The stock of a part at a center: every change a compare-and-set with its ledger line, never
negative, bad quantities refused with nothing changed."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from repaircenter.centers.models import Center
from repaircenter.stock import services
from repaircenter.stock.models import Movement, MovementKind, Part, StockLevel
from repaircenter.stock.services import StockError

pytestmark = pytest.mark.django_db


@pytest.fixture
def center(db):
    return Center.default()


@pytest.fixture
def screen(db):
    return Part.objects.create(sku="SCR-S23", name="Screen Galaxy S23", fits="Phone, Galaxy S23",
                               purchase_cost=Decimal("40.00"), selling_price=Decimal("90.00"),
                               minimum=2)


def level(center, part) -> StockLevel:
    return StockLevel.objects.get(center=center, part=part)


def assert_ledger_matches(center, part):
    sums = Movement.objects.filter(center=center, part=part).aggregate(
        on_hand=Sum("on_hand_change"), reserved=Sum("reserved_change"))
    stored = level(center, part)
    assert (stored.on_hand, stored.reserved) == (sums["on_hand"] or 0, sums["reserved"] or 0)


def test_received_reserved_released_used_each_leave_a_line_and_the_level_follows(
    center, screen, manager
):
    services.receive(center_id=center.pk, part_id=screen.pk, quantity=3, by=manager,
                     unit_cost=Decimal("40.00"))
    assert services.reserve(center_id=center.pk, part_id=screen.pk, quantity=2, order_ref=7) == 2
    services.release(center_id=center.pk, part_id=screen.pk, quantity=1, order_ref=7)
    services.use(center_id=center.pk, part_id=screen.pk, quantity=1, order_ref=7,
                 serials="SN1")
    stored = level(center, screen)
    assert (stored.on_hand, stored.reserved, stored.available) == (2, 0, 2)
    kinds = list(Movement.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [MovementKind.RECEIVED, MovementKind.RESERVED, MovementKind.RELEASED,
                     MovementKind.USED]
    assert Movement.objects.get(kind=MovementKind.USED).serials == "SN1"
    assert_ledger_matches(center, screen)


def test_reserving_more_than_available_is_refused_and_nothing_changes(center, screen):
    services.receive(center_id=center.pk, part_id=screen.pk, quantity=1)
    with pytest.raises(StockError, match="Not enough"):
        services.reserve(center_id=center.pk, part_id=screen.pk, quantity=2, order_ref=1)
    assert level(center, screen).reserved == 0
    assert not Movement.objects.filter(kind=MovementKind.RESERVED).exists()
    # Partial: what there is, and no more.
    assert services.reserve(center_id=center.pk, part_id=screen.pk, quantity=2, partial=True) == 1
    assert services.reserve(center_id=center.pk, part_id=screen.pk, quantity=2, partial=True) == 0
    assert_ledger_matches(center, screen)


@pytest.mark.parametrize("quantity", ["-1", "0", "1.5", "abc", "NaN", "2e9"])
def test_bad_quantities_are_refused_with_a_clear_error(center, screen, quantity):
    with pytest.raises(StockError) as refused:
        services.receive(center_id=center.pk, part_id=screen.pk, quantity=quantity)
    assert refused.value.message
    assert not Movement.objects.exists()


def test_writing_off_more_than_on_hand_or_promised_units_is_refused(center, screen, manager):
    services.receive(center_id=center.pk, part_id=screen.pk, quantity=2)
    services.reserve(center_id=center.pk, part_id=screen.pk, quantity=1, order_ref=3)
    with pytest.raises(StockError, match="nothing was changed"):
        services.write_off(center_id=center.pk, part_id=screen.pk, quantity=2, by=manager,
                           reason="Cracked")
    with pytest.raises(StockError, match="reason"):
        services.write_off(center_id=center.pk, part_id=screen.pk, quantity=1, by=manager,
                           reason=" ")
    assert level(center, screen).on_hand == 2
    services.write_off(center_id=center.pk, part_id=screen.pk, quantity=1, by=manager,
                       reason="Cracked in the drawer")
    assert (level(center, screen).on_hand, level(center, screen).reserved) == (1, 1)
    assert_ledger_matches(center, screen)


def test_a_count_corrects_on_hand_with_its_reason_never_below_reserved(center, screen, manager):
    services.receive(center_id=center.pk, part_id=screen.pk, quantity=5)
    services.reserve(center_id=center.pk, part_id=screen.pk, quantity=2, order_ref=3)
    with pytest.raises(StockError, match="reserved"):
        services.count(center_id=center.pk, part_id=screen.pk, counted=1, by=manager,
                       reason="Yearly count")
    assert services.count(center_id=center.pk, part_id=screen.pk, counted=4, by=manager,
                          reason="Yearly count") == -1
    counted = Movement.objects.get(kind=MovementKind.COUNTED)
    assert (counted.on_hand_change, counted.reason) == (-1, "Yearly count")
    assert_ledger_matches(center, screen)


def test_the_database_itself_refuses_a_negative_level(center, screen):
    from django.db import IntegrityError, transaction

    services.receive(center_id=center.pk, part_id=screen.pk, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(part=screen).update(reserved=2)
