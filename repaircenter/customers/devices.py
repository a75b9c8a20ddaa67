"""What identifies a piece of equipment across orders: its serial number and IMEI."""


def imei_is_valid(digits: str) -> bool:
    """15 digits whose last is the Luhn check digit of the first 14."""
    if len(digits) != 15 or not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(digits[:14]):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10 == int(digits[14])
