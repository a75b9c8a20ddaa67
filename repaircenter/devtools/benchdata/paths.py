"""The path of one order: the moments of its life from the intake to its state now (received,
diagnosed, estimate sent, decided, repaired, tested, ready, the customer reached, issued or
disposed of), drawn at random in the proportions a chain sees."""

import datetime
import random

from repaircenter.core.calendar import months_later

from .vocabulary import DAY, HEAVY_SHARE, HOUR, MINUTE, YEARS_OF_HISTORY, S


def order_path(rng: random.Random, now: datetime.datetime, state: str) -> dict:
    """The moments of the order's life, from its intake to its state now."""
    heavy = state == S.ISSUED and rng.random() < HEAVY_SHARE * 1.2
    if state in (S.ISSUED, S.DISPOSED, S.DISPOSAL_DUE):
        repaired = rng.random() < (0.8 if state == S.ISSUED else 0.4) or heavy
    elif state == S.READY_UNREPAIRED:
        repaired = False
    else:
        repaired = True
    how = "repaired"
    if not repaired:
        roll = rng.random()
        how = "refused" if roll < 0.5 else "not_repairable" if roll < 0.8 else "lapsed"
    p: dict = {"state": state, "how": how, "heavy": heavy}
    t = datetime.timedelta(0)  # from the intake
    p["received"] = t
    if state == S.RECEIVED:
        return _anchor(now, p, "received", rng.uniform(0, 4) * DAY)
    t += rng.uniform(2, 40) * HOUR
    p["diagnosing"] = t
    if state == S.DIAGNOSING:
        return _anchor(now, p, "diagnosing", rng.uniform(0, 3) * DAY)
    t += rng.uniform(1, 20) * HOUR
    p["findings"] = t
    if how == "not_repairable":
        p["ready"] = t + 10 * MINUTE
        t = p["ready"]
    else:
        t += rng.uniform(10, 60) * MINUTE
        p["sent"] = t
        if heavy:
            t += rng.uniform(1, 3) * DAY
            p["revised"] = t
        if state == S.AWAITING_DECISION:
            # Sent up to six months ago: the decision is still open.
            return _anchor(now, p, "sent", rng.uniform(0, 178) * DAY)
        if how == "lapsed":
            p["lapsed"] = t  # placed below, six months after sending
        else:
            t += rng.uniform(1, 120) * HOUR
            p["decided"] = t
        if how == "refused":
            p["ready"] = t
        elif how == "lapsed":
            p["ready"] = None  # six months later, known once the sending time is known
        else:
            if state == S.APPROVED:
                return _anchor(now, p, "decided", rng.uniform(0, 5) * DAY)
            t += rng.uniform(1, 48) * HOUR
            p["repair"] = t
            if heavy:
                t += rng.uniform(1, 3) * DAY
                p["supplement_sent"] = t
                t += rng.uniform(2, 30) * HOUR
                p["supplement_decided"] = t
            if state == S.REPAIRING:
                return _anchor(now, p, "repair", rng.uniform(0, 6) * DAY)
            t += rng.uniform(2, 30) * HOUR
            p["finished"] = t
            if heavy:
                t += 3 * HOUR
                p["failed_test"] = t
                t += rng.uniform(2, 20) * HOUR
                p["finished_again"] = t
            if state == S.TESTING:
                return _anchor(now, p, "finished", rng.uniform(0, 2) * DAY)
            t += rng.uniform(1, 6) * HOUR
            p["ready"] = t
    return _after_ready(rng, now, p)


def _anchor(now: datetime.datetime, p: dict, key: str, age: datetime.timedelta) -> dict:
    """Turn the offsets from the intake into moments, with `key` happening `age` ago."""
    start = now - age - p[key]
    for name, offset in list(p.items()):
        if isinstance(offset, datetime.timedelta):
            p[name] = start + offset
    return p


def _after_ready(rng: random.Random, now: datetime.datetime, p: dict) -> dict:
    state = p["state"]
    if p["how"] == "lapsed":
        # The lapse is the sweep's, just after the decision period (six months from the
        # estimate) ended; the ready notice reached the customer soon after.
        age = {S.READY_UNREPAIRED: rng.uniform(0, 170), S.DISPOSAL_DUE: rng.uniform(184, 260),
               S.DISPOSED: rng.uniform(200, 700)}.get(state, rng.uniform(10, 650)) * DAY
        sent_at = months_earlier(now - age, 6)
        start = sent_at - p["sent"]
        for name, offset in list(p.items()):
            if isinstance(offset, datetime.timedelta):
                p[name] = start + offset
        p["lapsed"] = p["ready"] = months_later(sent_at, 6) + rng.uniform(1, 5) * MINUTE
        p["reached"] = p["lapsed"] + rng.uniform(5, 90) * MINUTE
    else:
        reach = rng.uniform(5, 240) * MINUTE
        p["reached"] = p["ready"] + reach
        if state in (S.READY_REPAIRED, S.READY_UNREPAIRED):
            age = rng.uniform(0, 175) * DAY
        elif state == S.DISPOSAL_DUE:
            age = rng.uniform(184, 260) * DAY
        elif state == S.DISPOSED:
            age = rng.uniform(200, 900) * DAY
        else:
            age = rng.uniform(3, YEARS_OF_HISTORY * 365) * DAY
        _anchor(now, p, "reached", age)
    p["storage_due"] = months_later(p["reached"], 6)
    if state == S.ISSUED:
        latest = min(now - HOUR, p["storage_due"] - HOUR)
        p["issued"] = min(p["reached"] + rng.uniform(0.5, 20) * DAY, latest)
        p["issued"] = max(p["issued"], p["reached"] + MINUTE)
    if state in (S.DISPOSAL_DUE, S.DISPOSED):
        p["disposal_due"] = p["storage_due"] + rng.uniform(1, 300) * MINUTE
    if state == S.DISPOSED:
        p["disposed"] = min(p["disposal_due"] + rng.uniform(1, 40) * DAY, now - HOUR)
    return p


def months_earlier(moment: datetime.datetime, months: int) -> datetime.datetime:
    return months_later(moment, -months)
