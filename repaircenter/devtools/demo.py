"""Demo data for a first look: one user per role, customers, and orders in every state.

Every order is moved through the workflow functions, as staff would move it; only the dates are
moved back afterwards so that the deadlines have something to show.
"""

import datetime
import secrets
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from repaircenter.accounts.models import User
from repaircenter.accounts.roles import Role
from repaircenter.billing import services as billing
from repaircenter.billing.models import PaymentMethod
from repaircenter.centers.models import Center
from repaircenter.core.models import CenterSettings
from repaircenter.orders import estimates, repair, workflow
from repaircenter.orders.dues import stored_balance_due
from repaircenter.orders.models import (
    EquipmentKind,
    EventChannel,
    Order,
    PriceListEntry,
    TestProcedure,
)
from repaircenter.orders.selectors import procedures_for
from repaircenter.orders.workflow import Actor, EquipmentDetails
from repaircenter.stock import purchasing
from repaircenter.stock import services as stock
from repaircenter.stock.models import Part, Supplier

STAFF = [
    ("reception", "Rita", "Reyes", [Role.RECEPTIONIST]),
    ("tech", "Tomasz", "Nowak", [Role.TECHNICIAN]),
    ("consult", "Chloe", "Adams", [Role.CONSULTANT]),
    ("cashier", "Kwame", "Mensah", [Role.CASHIER]),
    ("manager", "Maria", "Lopez", [Role.MANAGER]),
]

# London numbers from the range Ofcom keeps for drama: they reach nobody.
CUSTOMERS = [
    ("Alice Brown", "+442079460101", "alice@example.com", ["sms", "email"]),
    ("Ben Carter", "+442079460102", "", ["sms", "phone"]),
    ("Chen Wei", "+442079460103", "chen@example.com", ["email", "sms"]),
    ("Dara O'Neill", "+442079460104", "", ["phone"]),
    ("Emma Fischer", "+442079460105", "emma@example.com", ["email"]),
    ("Farid Haddad", "+442079460106", "", ["sms"]),
    ("Grace Okafor", "+442079460107", "grace@example.com", ["sms", "email", "phone"]),
]

EQUIPMENT = [
    ("Phone", "Samsung", "Galaxy S23", "R5CW31ABCDE", "356938035643809",
     "Scratches on the back, screen intact", "Case", "Does not charge, gets warm near the port"),
    ("Laptop", "Lenovo", "ThinkPad T14 Gen 3", "PF3XK2LM", "",
     "Dent on the lid corner", "Charger 65 W", "Shuts down under load after ten minutes"),
    ("Game console", "Sony", "PlayStation 5", "AJ8831207745", "",
     "Good", "Controller, power cable", "No picture on HDMI, the light goes blue then white"),
    ("Tablet", "Apple", "iPad Air (5th gen)", "DMPXR7Q1Q16M", "",
     "Cracked glass in the lower left corner", "None", "Touch does not respond on the left side"),
    ("Desktop computer", "Custom build", "Ryzen 7 / RTX 3070", "", "",
     "Side panel scratched", "Power cable", "Random restarts while gaming"),
    ("Household appliance", "Bosch", "Serie 4 dishwasher control board", "FD9806-00123", "",
     "Board only, no visible burns", "None", "Error E24 after a power cut"),
    ("Phone", "Google", "Pixel 7", "2A191FDH300XYZ", "352099001761481",
     "Screen cracked across", "None", "Dropped; the screen flickers and shows green lines"),
]


# Kind of equipment: (diagnostics fee, [(work or part, description, price)]).
PRICE_LIST = {
    "Phone": ("15.00", [
        ("work", "Replace the screen assembly", "35.00"),
        ("part", "Screen assembly (OLED)", "129.00"),
        ("work", "Replace the charging port", "30.00"),
        ("part", "USB-C charging port flex", "18.50"),
        ("part", "Battery", "39.00"),
    ]),
    "Laptop": ("25.00", [
        ("work", "Clean the cooling system, new thermal paste", "45.00"),
        ("part", "Cooling fan", "32.00"),
        ("work", "Replace the keyboard", "40.00"),
        ("part", "Keyboard", "55.00"),
    ]),
    "Game console": ("20.00", [
        ("work", "Replace the HDMI port (micro-soldering)", "60.00"),
        ("part", "HDMI port", "12.00"),
    ]),
    "Tablet": ("15.00", [
        ("work", "Replace the touch glass", "45.00"),
        ("part", "Touch glass and digitizer", "79.00"),
    ]),
    "Desktop computer": ("25.00", [
        ("work", "Diagnose and replace the power supply", "30.00"),
        ("part", "Power supply 750 W", "95.00"),
    ]),
    "Household appliance": ("30.00", [
        ("work", "Replace the control board", "50.00"),
        ("part", "Control board", "120.00"),
    ]),
}
ANY_KIND = [("work", "Data backup before the repair", "20.00")]

# Kind of equipment: warranty on repairs in months, and its stress test procedures.
WARRANTY_MONTHS = {"Phone": 3, "Tablet": 3, "Laptop": 6, "Desktop computer": 6,
                   "Game console": 6, "Household appliance": 12}
PROCEDURES = [
    ("Phone", "Battery cycle", 180,
     "Charge from 5 % to 100 % on the bench charger, then play video at full brightness down to "
     "20 %. Watch the charging current, the temperature and unexpected shutdowns."),
    ("Phone", "Touch and display check", 20,
     "Draw across the whole screen in the test app; check dead zones, ghost touches, lines."),
    ("Laptop", "CPU and GPU load 60 min", 60,
     "Full load on the processor and graphics together. Log temperatures and clock speeds "
     "every 5 minutes; the machine must not throttle below base clock or shut down."),
    ("Game console", "Two hours of play", 120,
     "Run a demanding game on HDMI for two hours; watch for picture loss and fan noise."),
    ("Desktop computer", "Burn-in", 120,
     "Processor and graphics at full load with a memory test alongside; no restart allowed."),
    ("Household appliance", "Full programme on the test rig", 90,
     "Run the longest programme on the rig; check every relay and the error log."),
    (None, "Visual and function check", 15,
     "Every button, port and the power supply; compare with the condition at intake."),
]


def _price_list(kinds) -> None:
    for name, (fee, entries) in PRICE_LIST.items():
        kinds[name].diagnostics_fee = Decimal(fee)
        kinds[name].save(update_fields=["diagnostics_fee"])
        PriceListEntry.objects.bulk_create(
            PriceListEntry(equipment_kind=kinds[name], line_kind=k, description=d,
                           unit_price=Decimal(p))
            for k, d, p in entries
        )
    PriceListEntry.objects.bulk_create(
        PriceListEntry(line_kind=k, description=d, unit_price=Decimal(p)) for k, d, p in ANY_KIND
    )


def _procedures(kinds) -> None:
    for name, months in WARRANTY_MONTHS.items():
        kinds[name].warranty_months = months
        kinds[name].save(update_fields=["warranty_months"])
    TestProcedure.objects.bulk_create(
        TestProcedure(equipment_kind=kinds[kind] if kind else None, name=name,
                      duration_minutes=minutes, procedure=text)
        for kind, name, minutes, text in PROCEDURES
    )


def database_is_empty() -> bool:
    return not User.objects.exists() and not Order.objects.exists()


def _staff_users() -> tuple[dict[str, User], list[tuple[str, list[str], str]]]:
    users, accounts = {}, []
    for username, first, last, roles in STAFF:
        password = secrets.token_urlsafe(9)
        user = User.objects.create_user(
            username, password=password, first_name=first, last_name=last,
            is_staff=Role.MANAGER in roles,
        )
        user.groups.add(*[_group(role) for role in roles])
        users[username] = user
        accounts.append((username, [str(role) for role in roles], password))
    return users, accounts


def _group(role: str):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=role)


@transaction.atomic
def load_demo_data() -> list[tuple[str, list[str], str]]:
    """Create the demo; returns (user name, roles, password) for each staff account."""
    contacts = {
        "name": "Repair Center Demo",
        "address": "12 Station Road, Cambridge CB1 2JW",
        "phone": "+44 1223 000000",
        "email": "desk@repaircenter.example",
        "hours": "Mon–Fri 9:00–18:00, Sat 10:00–14:00",
    }
    CenterSettings.objects.update_or_create(pk=1, defaults=contacts)
    # The center the migrations made: the demo's one shop, with the chain's contacts.
    Center.objects.filter(pk=Center.default().pk).update(**contacts, sms_sender="RepairDemo",
                                                          shelves="A1\nA2\nB1\nB2")
    users, accounts = _staff_users()
    reception = Actor.staff(users["reception"])
    tech = Actor.staff(users["tech"])
    manager = Actor.staff(users["manager"])
    customers = [
        workflow.CustomerDetails(phone=p, name=n, email=e, preferred_channels=tuple(c))
        for n, p, e, c in CUSTOMERS
    ]
    kinds = {kind.name: kind for kind in EquipmentKind.objects.all()}
    _price_list(kinds)
    _procedures(kinds)
    cashier = Actor.staff(users["cashier"])
    now = timezone.now()
    day = datetime.timedelta(days=1)

    def take_in(index: int, days_ago: int):
        kind, brand, model, serial, imei, condition, accessories, fault = EQUIPMENT[
            index % len(EQUIPMENT)
        ]
        repeat = index >= len(EQUIPMENT)
        return workflow.take_in(
            actor=reception,
            customer=customers[index % len(customers)],
            equipment=EquipmentDetails(
                kind_id=kinds[kind].pk, brand=brand, model=model,
                # The second round of the list gets serial numbers of its own.
                serial_number=f"{serial}{index:02d}" if serial and repeat else serial,
                imei="" if repeat else imei,
                condition=condition, accessories=accessories, fault=fault,
            ),
            now=now - days_ago * day,
        )

    def diagnosed(index, days_ago):
        order = take_in(index, days_ago).order
        workflow.start_diagnosis(order=order, actor=tech)
        return order

    def estimated(index, days_ago):
        order = diagnosed(index, days_ago)
        workflow.record_findings(order=order, actor=tech,
                                 findings="Confirmed the fault described; see the estimate.")
        draft = estimates.start_draft(order=order, actor=tech)
        estimates.update_details(
            estimate=draft, actor=tech, repair_days=2,
            recommendation="The repair is worth it: the rest of the equipment is in good order.",
            internal_notes="Parts in stock.",
        )
        for entry in estimates.price_list_for(order)[:2]:
            estimates.add_from_price_list(estimate=draft, actor=tech, entry_id=entry.pk)
        workflow.send_estimate(order=order, actor=tech, estimate=draft)
        return order

    def approved(index, days_ago):
        order = estimated(index, days_ago)
        workflow.approve(order=order, actor=reception, channel=EventChannel.PHONE,
                         evidence={"said": "Yes, please go ahead with the repair."})
        return order

    def pay(order, amount=None, method=PaymentMethod.CARD, note=""):
        billing.record_payment(
            order=order, actor=cashier, amount=amount or stored_balance_due(order),
            method=method, idempotency_key=uuid.uuid4(), note=note,
        )

    def works_done(order, how_many=None):
        for line in workflow.lines_not_done(order)[:how_many]:
            serial = f"P{order.number:04d}-{line.pk:03d}" if line.line_kind == "part" else ""
            repair.mark_line_done(order=order, actor=tech, line_id=line.pk, part_serials=serial)

    def stress_test(order, passed, note):
        procedure = procedures_for(order).first()
        workflow.record_test(
            order=order, actor=tech, passed=passed, note=note,
            run=workflow.TestRun(procedure=procedure.procedure, name=procedure.name,
                                 duration_minutes=procedure.duration_minutes,
                                 template_id=procedure.pk,
                                 measurements="Peak 41 °C, no errors in the log." if passed
                                 else "Peak 88 °C before the shutdown."),
        )

    def repaired(index, days_ago, *, failed_first=False):
        order = approved(index, days_ago)
        workflow.start_repair(order=order, actor=tech)
        works_done(order)
        workflow.finish_works(order=order, actor=tech)
        if failed_first:
            stress_test(order, False, "Shut down after 40 minutes under load.")
            workflow.finish_works(order=order, actor=tech, note="Reseated the heatsink.")
        stress_test(order, True, "Stable for the whole test; temperatures normal.")
        return order

    def stored(order, reached_days_ago, shelf="A1"):
        workflow.start_storage_clock(order=order, reached_at=now - reached_days_ago * day,
                                     channel=EventChannel.SYSTEM, note="SMS delivered.")
        workflow.set_storage_location(order=order, actor=reception, location=shelf)

    # received: one fresh, one past the diagnostics target
    take_in(0, 0)
    take_in(1, 6)
    # diagnosing
    diagnosed(2, 1)
    # awaiting decision
    awaiting = estimated(3, 3)
    # approved with a prepayment for the parts, repairing (one line done), testing
    order = approved(4, 4)
    pay(order, Decimal("20.00"), PaymentMethod.CASH, "Prepayment for the parts")
    order = approved(5, 6)
    workflow.start_repair(order=order, actor=tech)
    works_done(order, 1)
    order = approved(6, 7)
    workflow.start_repair(order=order, actor=tech)
    works_done(order)
    workflow.finish_works(order=order, actor=tech)
    # ready, repaired after a failed first test, partly paid, the customer reached two days ago
    order = repaired(7, 9, failed_first=True)
    pay(order, Decimal("30.00"), PaymentMethod.CARD, "Prepayment")
    stored(order, 2)
    # ready, unrepaired: refused by email; and a decision period that ran out
    order = estimated(8, 12)
    workflow.refuse(order=order, actor=reception, channel=EventChannel.EMAIL,
                    evidence={"email_text": "Thanks, but the repair costs more than a new one."},
                    note="Costs more than a new one.")
    order = estimated(9, 200)
    Order.objects.filter(pk=order.pk).update(decision_due=now - day)
    order.refresh_from_db()
    workflow.lapse_decision(order=order)
    # issued
    intake = take_in(10, 14)
    order = intake.order
    workflow.start_diagnosis(order=order, actor=tech)
    workflow.declare_not_repairable(order=order, actor=tech,
                                    note="Board corroded beyond repair; not worth replacing.")
    stored(order, 5)
    pay(order, method=PaymentMethod.CASH)
    workflow.issue(order=order, actor=reception, pickup_code=intake.pickup_code)
    # issued repaired: paid in full, certificate and warranty card handed over
    intake = take_in(13, 16)
    order = intake.order
    workflow.start_diagnosis(order=order, actor=tech)
    draft = estimates.start_draft(order=order, actor=tech)
    estimates.update_details(estimate=draft, actor=tech, repair_days=1,
                             recommendation="Worth repairing.", internal_notes="")
    for entry in estimates.price_list_for(order)[:2]:
        estimates.add_from_price_list(estimate=draft, actor=tech, entry_id=entry.pk)
    workflow.send_estimate(order=order, actor=tech, estimate=draft)
    workflow.approve(order=order, actor=reception, channel=EventChannel.IN_PERSON,
                     evidence={"signed_slip": True})
    workflow.start_repair(order=order, actor=tech)
    works_done(order)
    workflow.finish_works(order=order, actor=tech)
    stress_test(order, True, "Stable for the whole test.")
    stored(order, 3)
    pay(order)
    workflow.issue(order=order, actor=reception, pickup_code=intake.pickup_code)
    # due for disposal and disposed: storage ran out long ago
    for index, dispose in ((11, False), (12, True)):
        order = repaired(index, 230)
        stored(order, 200, shelf="C4")
        order.refresh_from_db()
        workflow.mark_disposal_due(order=order)
        if dispose:
            workflow.confirm_disposal(order=order, actor=manager, method="recycled",
                                      note="Recycled through the licensed e-waste collector.")
    _parts_and_stock(estimated, reception, users["manager"], now)
    _consultations(users["consult"], awaiting, now)
    return accounts


def _parts_and_stock(estimated, reception: Actor, boss: User, now) -> None:
    """A small catalogue, the stock of the center, and an order waiting for a screen that a
    purchase order brings in three days."""
    center = Center.default()
    parts = {sku: Part.objects.create(sku=sku, name=name, fits=fits, purchase_cost=Decimal(cost),
                                      selling_price=Decimal(price), minimum=minimum,
                                      serial_tracked=tracked)
             for sku, name, fits, cost, price, minimum, tracked in (
                 ("SCR-S23", "Screen assembly Galaxy S23", "Phone, Samsung, Galaxy S23",
                  "62.00", "129.00", 1, True),
                 ("BAT-S23", "Battery Galaxy S23", "Phone, Samsung, Galaxy S23", "11.50",
                  "39.00", 3, False),
                 ("USBC-PORT", "USB-C charging port", "Phone, Samsung", "4.20", "18.50", 5,
                  False),
             )}
    stock.receive(center_id=center.pk, part_id=parts["BAT-S23"].pk, quantity=2, by=boss)
    stock.receive(center_id=center.pk, part_id=parts["USBC-PORT"].pk, quantity=12, by=boss)
    order = estimated(15, 5)
    actor = Actor.staff(boss)
    draft = estimates.start_draft(order=order, actor=actor)
    estimates.update_details(estimate=draft, actor=actor, repair_days=2,
                             recommendation="The new screen makes it as good as new.",
                             internal_notes="")
    estimates.add_part(estimate=draft, actor=actor, part_id=parts["SCR-S23"].pk)
    workflow.send_estimate(order=order, actor=actor, estimate=draft)
    workflow.approve(order=order, actor=reception, channel=EventChannel.PHONE,
                     evidence={"said": "Yes, replace the screen."})
    supplier = Supplier.objects.create(name="Mobile Parts Ltd", email="orders@parts.example")
    po = purchasing.create(center_id=center.pk, supplier=supplier, by=boss)
    purchasing.set_line(purchase_order=po, part=parts["SCR-S23"], quantity=2)
    workflow.after_purchase_sent(purchasing.send(
        purchase_order=po, expected_on=(now + datetime.timedelta(days=3)).date()))


def _consultations(consultant: User, awaiting: Order, now) -> None:
    """Questions for the consultants' inbox: from the advice form, a visitor's chat, and a chat
    on the order that waits for the customer's decision."""
    from repaircenter.consult import services

    minutes = datetime.timedelta(minutes=1)
    services.ask(
        name="Olivia Park", phone="", email="olivia@example.com", reply_channel="email",
        equipment="Laptop Apple MacBook Air 2020",
        question="The battery lasts about an hour now and the laptop gets hot. Is a new battery "
                 "worth it on a 2020 model, and how long would it take?",
    )
    answered = services.ask(
        name="Tariq Hussain", phone="+447911123456", email="", reply_channel="sms",
        equipment="Game console Nintendo Switch",
        question="The left Joy-Con drifts. Can you fix it, or should I buy a new one?",
    )
    services.answer_advice(
        advice=answered, user=consultant,
        answer="We replace the stick for 25 GBP while you wait (20 minutes); a new Joy-Con "
               "costs about 35. Bring it any weekday.",
    )
    visitor = services.open_site_thread("demo-visitor-" + "x" * 30)
    services.post_visitor_message(
        thread=visitor, now=now - 12 * minutes,
        body="Hi, do you repair coffee machines? Ours (De'Longhi Magnifica) leaks underneath.",
    )
    customer_chat = services.open_order_thread(awaiting)
    services.post_visitor_message(thread=customer_chat, now=now - 40 * minutes,
                                  body="Does the price include the new glass and the labour?")
    services.reply(thread=customer_chat, user=consultant, now=now - 35 * minutes,
                   body="Yes: both lines together, nothing else to pay on collection.")
