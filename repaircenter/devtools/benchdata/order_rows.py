"""The rows of one order, as the workflow would have written them along its path."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from repaircenter.core.calendar import add_working_days, center_date, months_later
from repaircenter.documents.models import DocumentKind
from repaircenter.notifications.models import DeliveryRecord, Message
from repaircenter.orders.credentials import new_pickup_code, new_portal_link, pickup_code_digest
from repaircenter.orders.models import (
    Equipment,
    Estimate,
    EstimateLine,
    LineDone,
    Order,
    OrderEvent,
)

from .messages import NotifyRows
from .vocabulary import ALPHANUM, CONDITIONS, DAY, EQUIPMENT, FAULTS, HOUR, MINUTE, S, luhn_digit

if TYPE_CHECKING:
    from .generator import Generator
    from .writing import Batch


def order_rows(g: Generator, batch: Batch, number: int, state: str, p: dict,
               disposed: list) -> None:
    """The rows of one order that went along the path `p` to `state`: the order, its
    equipment, events, estimates and lines, works, tests, payments, documents and messages."""
    rng = g.rng
    staff = g.staff
    received = p["received"]
    customer_id, phone, email, channels = g.customer_for(batch, received)
    order_id = g.ids.take(Order)
    kind_name = rng.choices(g.kind_names, g.kind_weights)[0]
    kind = g.kinds[kind_name]
    reception = rng.choice(staff.reception)
    tech = rng.choice(staff.technicians)
    heavy = p["heavy"]
    if heavy:
        g.heavy_numbers.append(number)
    code = new_pickup_code()
    g.paid = Decimal("0.00")
    shop = g.center_taking(number)
    g.center_numbers[shop.pk] += 1
    order = {
        "id": order_id, "number": number, "center_id": shop.pk, "customer_id": customer_id,
        "number_prefix": shop.number_prefix, "center_number": g.center_numbers[shop.pk],
        "status": state,
        "version": 1, "received_at": received, "received_by_id": reception,
        "diagnosis_due": add_working_days(center_date(received),
                                          g.center.diagnostics_target_days),
        "technician_id": None, "diagnosis_started_at": None, "findings": "",
        "diagnostics_fee": kind.diagnostics_fee if g.center.charge_diagnostics
        else Decimal("0.00"),
        "estimate_sent_at": None, "decision_due": None, "pending_supplement": "",
        "decided_at": None, "unrepaired_reason": "", "ready_at": None,
        "customer_reached_at": None, "storage_due": None, "storage_location": "",
        "issued_at": None, "disposed_at": None, "disposal_act_id": None,
        **new_portal_link(),
        "pickup_code_digest": pickup_code_digest(code), "pickup_failures": 0,
        "intake_key": None,
    }
    batch.add(Order, order)
    brand, model, has_imei = rng.choice(EQUIPMENT[kind_name])
    serial = "".join(rng.choices(ALPHANUM, k=rng.choice((8, 10, 12))))
    imei = ""
    if has_imei:
        body = "35" + "".join(rng.choices("0123456789", k=12))
        imei = body + luhn_digit(body)
    batch.add(Equipment, {
        "order_id": order_id, "kind_id": kind.pk, "brand": brand, "model": model,
        "serial_number": serial, "imei": imei, "condition": rng.choice(CONDITIONS),
        "accessories": rng.choice(["", "Charger", "Case", "Power cable"]),
        "fault": rng.choice(FAULTS),
    })
    events: list[dict] = []
    version = 1

    def event(action, at, from_status, to_status, actor=None, kind="staff",
              channel="staff", note="", evidence=None, changes_state=True):
        nonlocal version
        if changes_state:
            version += 1
        events.append({
            "id": None, "order_id": order_id, "at": at, "actor_kind": kind,
            "actor_id": actor, "channel": channel, "action": action,
            "from_status": from_status, "to_status": to_status, "note": note,
            "evidence": evidence or {},
        })

    def keep(action, at, status, **kwargs):
        event(action, at, status, status, changes_state=False, **kwargs)

    usable = [c for c in channels if c != "email" or email]
    notify = NotifyRows(g, batch, order_id, customer_id, phone, email, usable, number)

    event("take_in", received, "", S.RECEIVED, actor=reception, changes_state=False)
    g.document(batch, DocumentKind.INTAKE_ORDER,
                  f"Intake order R-{number:06d} (center's copy)", received, reception,
                  [order_id])
    notify.message("order_received", received + MINUTE, reached=True)
    if heavy:
        keep("pickup_code_reissued", received + 5 * MINUTE, S.RECEIVED, actor=reception,
             note="Customer's copy reprinted; the earlier pickup code is void.")
        version += 1
    status = S.RECEIVED
    if "diagnosing" in p:
        order.update(technician_id=tech, diagnosis_started_at=p["diagnosing"])
        event("start_diagnosis", p["diagnosing"], status, S.DIAGNOSING, actor=tech)
        status = S.DIAGNOSING
    if "findings" in p:
        findings = "Confirmed the fault described; see the estimate."
        order["findings"] = findings
        keep("findings_recorded", p["findings"], status, actor=tech, note=findings)
    estimates: list[dict] = []
    lines_by_estimate: dict[int, list[dict]] = {}

    def estimate(number_in_order, kind, at, lines=None):
        pk = g.ids.take(Estimate)
        row = batch.add(Estimate, {
            "id": pk, "order_id": order_id, "number": number_in_order, "kind": kind,
            "status": "sent", "repair_days": rng.randint(1, 5),
            "recommendation": "The repair is worth it: the rest is in good order.",
            "internal_notes": "Parts in stock.", "required_to_finish": False,
            "created_by_id": tech, "created_at": at - 20 * MINUTE, "sent_by_id": tech,
            "sent_at": at, "decision_due": months_later(at, 6), "decided_at": None,
            "replaces_id": None,
        })
        entries = g.prices[kind_obj_id] or g.prices[None]
        chosen = lines or rng.sample(entries, k=min(len(entries), rng.randint(1, 3)))
        rows = []
        for position, entry in enumerate(chosen):
            rows.append(batch.add(EstimateLine, {
                "id": g.ids.take(EstimateLine), "estimate_id": pk, "position": position,
                "line_kind": entry.line_kind, "description": entry.description,
                "quantity": Decimal("1.00"), "unit_price": entry.unit_price,
                "price_list_entry_id": entry.pk,
            }))
        lines_by_estimate[pk] = rows
        estimates.append(row)
        g.document(batch, DocumentKind.ESTIMATE,
                      f"Estimate R-{number:06d}/E{number_in_order}", at, tech, [order_id])
        return row

    kind_obj_id = kind.pk
    if "sent" in p:
        first = estimate(1, "main", p["sent"])
        event("send_estimate", p["sent"], status, S.AWAITING_DECISION, actor=tech,
              evidence={"estimate": f"R-{number:06d}/E1", "replaces": ""})
        status = S.AWAITING_DECISION
        notify.message("estimate_ready", p["sent"] + MINUTE, reached=True)
        current = first
        if "revised" in p:
            first["status"] = "replaced"
            current = estimate(2, "main", p["revised"])
            current["replaces_id"] = first["id"]
            event("revise_estimate", p["revised"], status, status, actor=tech,
                  evidence={"estimate": f"R-{number:06d}/E2",
                            "replaces": f"R-{number:06d}/E1"})
            notify.message("estimate_ready", p["revised"] + MINUTE, reached=True)
        order.update(estimate_sent_at=current["sent_at"],
                     decision_due=current["decision_due"])
        if state == S.AWAITING_DECISION:
            g.reminders(notify, "decision", "decision_reminder",
                           current["decision_due"], current["sent_at"])
        elif p["how"] == "lapsed":
            g.reminders(notify, "decision", "decision_reminder",
                           current["decision_due"], current["sent_at"])
            current["status"] = "lapsed"
            order.update(unrepaired_reason="decision_lapsed", ready_at=p["lapsed"])
            event("lapse_decision", p["lapsed"], status, S.READY_UNREPAIRED, kind="system",
                  channel="system")
            status = S.READY_UNREPAIRED
        else:
            approved = p["how"] == "repaired"
            channel = rng.choice(["phone", "in_person", "order_page", "email"])
            evidence = {
                "phone": {"said": "Yes, go ahead." if approved else "No, thank you.",
                          "call_time": ""},
                "in_person": {"signed_slip": True},
                "order_page": {"address": "203.0.113.7",
                               "user_agent": "Mozilla/5.0 (Android 14)"},
                "email": {"email_text": "Please go ahead." if approved else "No thanks."},
            }[channel]
            evidence["estimate"] = f"R-{number:06d}/E{current['number']}"
            actor = None if channel == "order_page" else reception
            current.update(status="approved" if approved else "refused",
                           decided_at=p["decided"])
            order["decided_at"] = p["decided"]
            target = S.APPROVED if approved else S.READY_UNREPAIRED
            event("approve" if approved else "refuse", p["decided"], status, target,
                  actor=actor, kind="customer" if actor is None else "staff",
                  channel=channel, evidence=evidence,
                  note="" if approved else "Costs more than a new one.")
            status = target
            if not approved:
                order.update(unrepaired_reason="refused", ready_at=p["decided"])
            elif rng.random() < 0.3 or heavy:
                total = sum(line["unit_price"] for line in lines_by_estimate[current["id"]])
                g.payment(batch, order_id, number, (total / 3).quantize(Decimal("0.01")),
                             p["decided"] + 10 * MINUTE, status, events)
    if p["how"] == "not_repairable" and "ready" in p and state not in (S.RECEIVED,
                                                                       S.DIAGNOSING):
        note = "Board corroded beyond repair; not worth replacing."
        order.update(unrepaired_reason="not_repairable", ready_at=p["ready"],
                     findings=order["findings"] + "\n\n" + note)
        event("declare_not_repairable", p["ready"], status, S.READY_UNREPAIRED, actor=tech,
              note=note)
        status = S.READY_UNREPAIRED
    if "repair" in p:
        event("start_repair", p["repair"], status, S.REPAIRING, actor=tech)
        status = S.REPAIRING
        agreed = [line for e in estimates if e["status"] == "approved"
                  for line in lines_by_estimate[e["id"]]]
        if "supplement_sent" in p:
            supplement = estimate(len(estimates) + 1, "supplement", p["supplement_sent"])
            event("send_supplement", p["supplement_sent"], status, S.AWAITING_DECISION,
                  actor=tech, evidence={"estimate": f"R-{number:06d}/E{supplement['number']}",
                                        "replaces": ""})
            notify.message("estimate_ready", p["supplement_sent"] + MINUTE, reached=True)
            supplement.update(status="approved", decided_at=p["supplement_decided"])
            event("approve_supplement", p["supplement_decided"], S.AWAITING_DECISION,
                  S.REPAIRING, kind="customer", channel="order_page",
                  evidence={"address": "203.0.113.7", "user_agent": "Mozilla/5.0",
                            "estimate": f"R-{number:06d}/E{supplement['number']}"})
            order["decided_at"] = p["supplement_decided"]
            agreed += lines_by_estimate[supplement["id"]]
        done_until = p.get("finished", g.now)
        to_do = agreed if "finished" in p else agreed[:rng.randint(0, len(agreed))]
        start = p.get("supplement_decided", p["repair"])
        for index, line in enumerate(to_do):
            at = start + (done_until - start) * (index + 1) / (len(to_do) + 1)
            batch.add(LineDone, {
                "line_id": line["id"], "done_by_id": tech, "done_at": at,
                "part_serials": f"P{number:07d}-{index}" if line["line_kind"] == "part"
                else "",
            })
            keep("work_done", at, status, actor=tech, note=line["description"])
        if "finished" in p:
            event("finish_works", p["finished"], status, S.TESTING, actor=tech)
            status = S.TESTING
            procedure = rng.choice(g.procedures[kind.pk] or g.procedures[None])
            if "failed_test" in p:
                g.stress_test(batch, order_id, procedure, False, p["failed_test"], tech)
                event("fail_test", p["failed_test"], status, S.REPAIRING, actor=tech,
                      note="Shut down after 40 minutes under load.")
                event("finish_works", p["finished_again"], S.REPAIRING, S.TESTING,
                      actor=tech, note="Reseated the heatsink.")
            if "ready" in p:
                g.stress_test(batch, order_id, procedure, True, p["ready"], tech)
                event("pass_test", p["ready"], status, S.READY_REPAIRED, actor=tech,
                      note="Stable for the whole test; temperatures normal.")
                status = S.READY_REPAIRED
                order["ready_at"] = p["ready"]
    if status in (S.READY_REPAIRED, S.READY_UNREPAIRED):
        ready_event = "ready_repaired" if status == S.READY_REPAIRED else "ready_unrepaired"
        if heavy:
            notify.message(ready_event, p["ready"] + MINUTE, reached=False, channel="sms")
        notify.message(ready_event, p["reached"] - MINUTE, reached=True,
                       delivered_at=p["reached"])
        order.update(customer_reached_at=p["reached"], storage_due=p["storage_due"])
        keep("storage_started", p["reached"], status, kind="system", channel="system",
             note="Notice delivered.")
        shelf = f"{rng.choice('ABCDEFGH')}{rng.randint(1, 40)}"
        order["storage_location"] = shelf
        keep("storage_location_set", p["ready"] + 2 * HOUR, status, actor=reception,
             note=f"Location: {shelf}")
        if heavy:
            for move in range(2):
                shelf = f"{rng.choice('ABCDEFGH')}{rng.randint(1, 40)}"
                order["storage_location"] = shelf
                keep("storage_location_set", p["ready"] + (3 + move) * HOUR, status,
                     actor=reception, note=f"Location: {shelf}")
        reminder_end = p.get("issued") or p.get("disposal_due") or g.now
        g.reminders(notify, "storage", "storage_reminder", p["storage_due"],
                       p["reached"], until=reminder_end)
        if "disposal_due" in p:
            event("mark_disposal_due", p["disposal_due"], status, S.DISPOSAL_DUE,
                  kind="system", channel="system")
            status = S.DISPOSAL_DUE
            notify.message("disposal_warning", p["disposal_due"] + 5 * MINUTE,
                           reached=True)
        if "disposed" in p:
            disposed.append((order_id, number, p["disposed"]))
            order["disposed_at"] = p["disposed"]
            event("confirm_disposal", p["disposed"], status, S.DISPOSED,
                  actor=staff.manager, note="Recycled through the licensed collector.",
                  evidence={"act": "", "method": "recycled"})
            order["_disposal_event"] = events[-1]
            status = S.DISPOSED
        if "issued" in p:
            issued = p["issued"]
            charged = order["diagnostics_fee"] if order["unrepaired_reason"] else sum(
                (line["unit_price"] for e in estimates if e["status"] == "approved"
                 for line in lines_by_estimate[e["id"]]), Decimal("0.00"))
            paid = g.paid
            if heavy and charged - paid > 2:
                part = ((charged - paid) / 2).quantize(Decimal("0.01"))
                g.payment(batch, order_id, number, part, issued - 20 * MINUTE, status,
                             events)
                paid += part
                for attempt in (1, 2):
                    keep("pickup_code_wrong", issued - (10 - attempt) * MINUTE, status,
                         actor=reception, note=f"Attempt {attempt} of 5.")
            if charged - paid > 0:
                g.payment(batch, order_id, number, charged - paid, issued - 5 * MINUTE,
                             status, events)
            order["issued_at"] = issued
            event("issue", issued, status, S.ISSUED, actor=reception,
                  evidence={"original": "pickup code presented"})
            status = S.ISSUED
            g.document(batch, DocumentKind.COMPLETION_CERTIFICATE,
                          f"Completion certificate for order R-{number:06d}", issued,
                          reception, [order_id])
            if not order["unrepaired_reason"]:
                g.document(batch, DocumentKind.WARRANTY_CARD,
                              f"Warranty card for order R-{number:06d}", issued, reception,
                              [order_id])
    if heavy:
        g.chat(batch, order_id, p["received"] + DAY)
    if status != state:
        raise AssertionError(f"order {number}: path ended in {status}, not {state}")
    order["version"] = version
    events.sort(key=lambda e: e["at"])
    batch.rows[OrderEvent].extend(events)
    for e in events:
        e["id"] = g.ids.take(OrderEvent)
    batch.rows[Message].extend(notify.messages)
    batch.rows[DeliveryRecord].extend(notify.records)
