"""One price list for the chain; a center may charge its own price for an entry."""

from decimal import Decimal

import pytest

from repaircenter.centers.models import Center
from repaircenter.orders import estimates
from repaircenter.orders.models import CenterPrice, PriceListEntry, Status
from repaircenter.orders.workflow import Actor


@pytest.fixture
def chain(db, phone_kind):
    shop = Center.default()
    city = Center.objects.create(name="City", number_prefix="C", time_zone="Europe/London")
    port = PriceListEntry.objects.create(equipment_kind=phone_kind, line_kind="part",
                                         description="USB-C port", unit_price=Decimal("18.50"))
    CenterPrice.objects.create(entry=port, center=city, unit_price=Decimal("24.00"))
    return shop, city, port


def test_the_estimate_takes_the_price_of_the_orders_center(chain, make_order, technician):
    shop, city, port = chain
    prices = {}
    for center in (shop, city):
        order = make_order(Status.DIAGNOSING, center=center)
        offered = {e.pk: e.price for e in estimates.price_list_for(order)}
        draft = estimates.start_draft(order=order, actor=Actor.staff(technician))
        line = estimates.add_from_price_list(estimate=draft, actor=Actor.staff(technician),
                                             entry_id=port.pk)
        prices[center.name] = (offered[port.pk], line.unit_price)
    assert prices == {shop.name: (Decimal("18.50"), Decimal("18.50")),
                      "City": (Decimal("24.00"), Decimal("24.00"))}


def test_the_editor_shows_the_centers_price(chain, make_order, technician, client):
    _shop, city, _port = chain
    order = make_order(Status.DIAGNOSING, center=city)
    estimates.start_draft(order=order, actor=Actor.staff(technician))
    city.staff.add(technician)
    client.force_login(technician)
    page = client.get(f"/staff/orders/{order.number}/estimate/").content.decode()
    assert "USB-C port · 24.00" in page and "18.50" not in page


def test_a_center_has_one_price_per_entry(chain):
    from django.db import IntegrityError, transaction

    _shop, city, port = chain
    with pytest.raises(IntegrityError), transaction.atomic():
        CenterPrice.objects.create(entry=port, center=city, unit_price=Decimal("1.00"))
