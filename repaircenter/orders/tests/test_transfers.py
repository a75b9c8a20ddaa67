"""Equipment sent between centers: the seal, who sent and who received it, "on its way" in both
centers' lists and on the customer's page, overdue after a few days, and no hand-over while the
equipment is away from the center that took it in."""

import datetime

import pytest
from django.utils import timezone

from repaircenter.centers.models import Center
from repaircenter.conftest import make_user, pay_balance
from repaircenter.orders import workflow
from repaircenter.orders.models import Order, OrderEvent, Status, Transfer
from repaircenter.orders.selectors import transfers_under_way
from repaircenter.orders.workflow import Actor
from repaircenter.orders.workplace import workplace


@pytest.fixture
def shop(db):
    return Center.default()


@pytest.fixture
def workshop(db):
    return Center.objects.create(name="Workshop", number_prefix="WS", workshop_only=True,
                                 time_zone="Europe/London")


def send(order, user, to, seal="SEAL-0042", **kwargs):
    return workflow.send_transfer(order=order, actor=Actor.staff(user), to_center=to,
                                  seal=seal, **kwargs)


def receive(order, user, transfer):
    return workflow.receive_transfer(order=order, actor=Actor.staff(user),
                                     transfer_id=transfer.pk)


def test_there_and_back_with_who_and_when(make_order, technician, receptionist, shop,
                                          workshop):
    order = make_order(Status.APPROVED)
    assert workflow.where_is(order) == (shop, None)
    out = send(order, technician, workshop, seal="  SEAL   0042 ")
    order = Order.objects.get(pk=order.pk)
    assert workflow.where_is(order) == (None, out)
    assert (out.from_center, out.to_center, out.seal, out.sent_by) == (
        shop, workshop, "SEAL 0042", technician)
    assert receive(order, technician, out) is True
    order = Order.objects.get(pk=order.pk)
    assert workflow.where_is(order) == (workshop, None)
    assert workflow.is_away(order)
    back = send(order, technician, shop, seal="WB-77")
    receive(order, receptionist, back)
    order = Order.objects.get(pk=order.pk)
    assert workflow.where_is(order) == (shop, None) and not workflow.is_away(order)
    assert order.status == Status.APPROVED  # the state never changed
    events = list(OrderEvent.objects.filter(order=order, action__startswith="transfer")
                  .values_list("action", "actor__username"))
    assert events == [("transfer_sent", "tom"), ("transfer_received", "tom"),
                      ("transfer_sent", "tom"), ("transfer_received", "rita")]


def test_what_cannot_be_sent(make_order, technician, cashier, shop, workshop):
    order = make_order(Status.APPROVED)
    with pytest.raises(workflow.Refused):
        send(order, technician, workshop, seal="   ")
    with pytest.raises(workflow.Refused):
        send(order, technician, workshop, seal="X" * 51)
    with pytest.raises(workflow.Refused):
        send(order, technician, shop)  # where it already is
    with pytest.raises(workflow.NotAllowed):
        send(order, cashier, workshop)
    Center.objects.filter(pk=workshop.pk).update(active=False)
    workshop.refresh_from_db()
    with pytest.raises(workflow.Refused):
        send(order, technician, workshop)
    assert not Transfer.objects.exists()
    assert not OrderEvent.objects.filter(action__startswith="transfer").exists()
    issued = make_order(Status.ISSUED)
    workshop.active = True
    with pytest.raises(workflow.WrongState):
        send(issued, technician, workshop)


def test_one_transfer_under_way_and_received_once(make_order, technician, receptionist,
                                                  workshop):
    order = make_order(Status.APPROVED)
    out = send(order, technician, workshop)
    with pytest.raises(workflow.Conflict):
        send(order, technician, workshop)
    assert receive(order, technician, out) is True
    assert receive(order, receptionist, out) is False  # the second click records nothing
    out.refresh_from_db()
    assert out.received_by == technician
    assert OrderEvent.objects.filter(order=order, action="transfer_received").count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_people_at_once_send_once_and_receive_once(separate_connections, make_order,
                                                       technician, receptionist):
    from repaircenter.conftest import race

    workshop = Center.objects.create(name="Workshop", number_prefix="WS",
                                     time_zone="Europe/London")
    order = make_order(Status.APPROVED)

    def sending(user, seal):
        return lambda: (lambda: send(order, user, workshop, seal=seal))

    results = race(sending(technician, "A1"), sending(receptionist, "B2"))
    assert sorted(r == "ok" for r in results) == [False, True]
    assert isinstance(next(r for r in results if r != "ok"), workflow.Conflict)
    [out] = Transfer.objects.filter(order=order)

    def receiving(user):
        return lambda: (lambda: receive(order, user, out))

    assert race(receiving(technician), receiving(receptionist)) == ["ok", "ok"]
    assert OrderEvent.objects.filter(order=order, action="transfer_received").count() == 1


def test_no_hand_over_while_the_equipment_is_away(make_order, technician, receptionist,
                                                  manager, workshop):
    order = make_order(Status.READY_REPAIRED)
    pay_balance(order, manager)
    out = send(order, technician, workshop)
    with pytest.raises(workflow.Refused) as refused:
        workflow.issue(order=order, actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    assert "on its way to Workshop" in refused.value.message
    receive(order, technician, out)
    with pytest.raises(workflow.Refused) as refused:
        workflow.issue(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                       pickup_code=order._pickup_code)
    assert "at Workshop" in refused.value.message
    assert Order.objects.get(pk=order.pk).status == Status.READY_REPAIRED
    back = send(Order.objects.get(pk=order.pk), technician, order.center)
    receive(order, receptionist, back)
    workflow.issue(order=Order.objects.get(pk=order.pk), actor=Actor.staff(receptionist),
                   pickup_code=order._pickup_code)
    assert Order.objects.get(pk=order.pk).status == Status.ISSUED


def test_on_its_way_in_both_centers_lists_and_overdue_after_the_set_days(
        make_order, technician, shop, workshop, settings):
    settings.TRANSFER_DAYS = 3
    order = make_order(Status.APPROVED)
    sent = timezone.now() - datetime.timedelta(days=4)
    out = send(order, technician, workshop, now=sent)
    at_shop = make_user("shop-desk", "receptionist")
    shop.staff.add(at_shop)
    at_workshop = make_user("bench", "technician")
    workshop.staff.add(at_workshop)
    other = Center.objects.create(name="Elsewhere", number_prefix="E", time_zone="Europe/London")
    at_other = make_user("other", "receptionist")
    other.staff.add(at_other)
    assert transfers_under_way(workplace(at_shop)) == [out]
    assert transfers_under_way(workplace(at_workshop)) == [out]
    assert transfers_under_way(workplace(at_other)) == []
    assert workflow.is_overdue(out)
    assert not workflow.is_overdue(out, now=sent + datetime.timedelta(days=2))
    receive(order, technician, out)
    assert transfers_under_way(workplace(at_shop)) == []


def test_the_pages_send_receive_and_list(client, make_order, technician, shop, workshop):
    order = make_order(Status.APPROVED)
    shop.staff.add(technician)
    client.force_login(technician)
    page = client.get(f"/staff/orders/{order.number}/").content.decode()
    assert "Seal or waybill number" in page and "Workshop" in page
    # Bad input loses nothing and says why.
    response = client.post(f"/staff/orders/{order.number}/transfer/",
                           {"to_center": workshop.pk, "seal": ""}, follow=True)
    assert "Type the number of the seal" in response.content.decode()
    response = client.post(f"/staff/orders/{order.number}/transfer/",
                           {"to_center": 999999, "seal": "S1"}, follow=True)
    assert "Choose the center it goes to" in response.content.decode()
    assert not Transfer.objects.exists()
    client.post(f"/staff/orders/{order.number}/transfer/",
                {"to_center": workshop.pk, "seal": "S1"})
    [out] = Transfer.objects.all()
    listed = client.get("/staff/transfers/").content.decode()
    assert order.display_number in listed and "S1" in listed
    response = client.post(f"/staff/orders/{order.number}/transfer/{out.pk}/receive/",
                           {"back": "list"})
    assert response["Location"] == "/staff/transfers/"
    out.refresh_from_db()
    assert out.received_by == technician
    assert "Nothing is on its way" in client.get("/staff/transfers/").content.decode()


def test_the_customer_sees_that_the_equipment_travels(client, make_order, technician,
                                                      workshop):
    order = make_order(Status.APPROVED)
    out = send(order, technician, workshop)
    url = f"/o/{order.link_token}/"
    page = client.get(url).content.decode()
    assert "on its way to Workshop" in page
    progress = page[page.index('id="progress"'):page.index('id="equipment"')]
    assert '<li class="step-current">\n      <strong>On its way to Workshop</strong>' in progress
    receive(order, technician, out)
    page = client.get(url).content.decode()
    assert "is at Workshop for now" in page
    assert "On its way to" not in page
