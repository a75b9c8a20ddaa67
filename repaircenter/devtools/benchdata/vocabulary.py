"""What the benchmark's orders are made of: the share of each state, the customers' names, the
equipment and its faults. All made up; nothing here touches the database."""

import datetime

from repaircenter.orders.models import Status

S = Status
# Shares of the orders in each state: most orders of a chain's history were handed back long
# ago; a few per cent are in the building (waiting for diagnostics, a decision, the repair, or
# collection), and a few were never collected.
STATE_SHARES: dict[str, float] = {
    S.ISSUED: 0.880,
    S.DISPOSED: 0.015,
    S.DISPOSAL_DUE: 0.003,
    S.READY_REPAIRED: 0.020,
    S.READY_UNREPAIRED: 0.010,
    S.TESTING: 0.004,
    S.REPAIRING: 0.010,
    S.APPROVED: 0.006,
    S.AWAITING_DECISION: 0.020,
    S.DIAGNOSING: 0.012,
    S.RECEIVED: 0.020,
}
# Of the orders a customer has, how many came back with another order (about 2.5 each).
NEW_CUSTOMER_SHARE = 0.4
# Orders with a long history: revised and supplementary estimates, a failed stress test,
# several payments, reprints, a failed SMS retried by email, a chat.
HEAVY_SHARE = 0.005
YEARS_OF_HISTORY = 3
DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Aaron Abigail Adam Adele Ahmed Aisha Alan Albert Alex Alice Amara Amelia Amir Amy Andrew "
    "Anna Arjun Arthur Ava Ben Beatrice Bella Callum Carla Carlos Carol Charlie Chen Chloe "
    "Chris Claire Connor Dan Daniel Dara Dev Diana Dylan Edward Eleanor Eli Ella Emily Emma "
    "Ethan Eva Evan Farid Fatima Felix Finn Florence Freya Gabriel George Grace Hannah Harry "
    "Hassan Helen Henry Holly Hugo Ibrahim Imogen Isaac Isla Ivy Jack Jacob James Jane Jasmine "
    "Jay John Joseph Joshua Julia Kai Karen Kate Kwame Laila Laura Leo Liam Lily Lucas Lucy "
    "Luke Maria Mark Martha Maya Mei Mia Michael Mohammed Nadia Naomi Nathan Nina Noah Olivia "
    "Omar Oscar Paul Peter Phoebe Priya Rachel Rafael Rhys Rita Rosa Ruby Ryan Sam Sara Sean "
    "Sofia Sophie Stefan Tariq Theo Thomas Toby Tom Uma Victor Wei William Yara Yusuf Zara "
    "Zoe Łukasz Zoë Siân Chloé Renée Jürgen Søren"
)
SURNAME_STARTS = _words(
    "Ash Bar Black Brad Bram Brook Burn Cal Carr Chad Chester Clay Cole Crank Dal Dun East Elm "
    "Fair Fal Fen Gold Green Hal Hart Hay Hol Kings Lang Lind Mar Mid New North Oak Pem Red "
    "Ross Rush Stan Sut Thorn Wal West Whit Wind Wood Wy"
)
SURNAME_ENDS = _words(
    "ford ley ton well wood field by worth ham more croft dale bridge stone wick man son hurst "
    "combe fell gate den ridge"
)

EQUIPMENT = {
    # kind: [(brand, model, has IMEI)], conditions, faults
    "Phone": [("Samsung", "Galaxy S23", True), ("Apple", "iPhone 13", True),
              ("Google", "Pixel 7", True), ("Xiaomi", "Redmi Note 12", True)],
    "Laptop": [("Lenovo", "ThinkPad T14", False), ("Dell", "XPS 13", False),
               ("HP", "EliteBook 840", False), ("Apple", "MacBook Air M1", False)],
    "Tablet": [("Apple", "iPad Air", False), ("Samsung", "Galaxy Tab S8", True)],
    "Game console": [("Sony", "PlayStation 5", False), ("Microsoft", "Xbox Series X", False),
                     ("Nintendo", "Switch", False)],
    "Desktop computer": [("Custom build", "Ryzen 7 / RTX 3070", False),
                         ("Dell", "OptiPlex 7090", False)],
    "Household appliance": [("Bosch", "Serie 4 dishwasher board", False),
                            ("Siemens", "iQ500 washer board", False)],
}
KIND_WEIGHTS = {"Phone": 45, "Laptop": 25, "Tablet": 10, "Game console": 8,
                "Desktop computer": 7, "Household appliance": 5}
CONDITIONS = ["Scratches on the back, screen intact", "Dent on a corner", "Good",
              "Cracked glass in the lower corner", "Worn, no visible damage"]
FAULTS = ["Does not charge", "Shuts down under load", "No picture", "Screen flickers",
          "Random restarts", "Touch does not respond on the left", "Water damage",
          "Error code after a power cut", "Battery drains in an hour"]
ALPHANUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)
