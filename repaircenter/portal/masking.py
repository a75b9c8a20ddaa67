"""Personal data as the public pages show it: enough for the customer to recognise, not enough
for someone looking over their shoulder."""


def initials(name: str) -> str:
    """"Alice Brown" -> "A. B."."""
    return " ".join(f"{part[0]}." for part in name.split() if part)


def mask_phone(number: str) -> str:
    """"+442079460101" -> "+44•••••••101"."""
    number = str(number or "")
    if len(number) < 7:
        return "•" * len(number)
    return number[:3] + "•" * (len(number) - 6) + number[-3:]


def mask_email(address: str) -> str:
    """"alice@example.com" -> "a•••@example.com"."""
    name, _at, domain = (address or "").partition("@")
    if not domain:
        return "•••"
    return f"{name[:1]}•••@{domain}"
