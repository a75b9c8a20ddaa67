"""How many SMS segments a text takes: GSM-7 when every character is in the GSM 03.38 alphabet,
otherwise UCS-2. Each extra segment costs money, so the template editor shows the count."""

from dataclasses import dataclass

# The GSM 03.38 basic alphabet (one septet each) and its extension table (two septets each:
# the escape and the character).
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    count: int
    per_segment: int  # how many units fit in one segment at this length

    def __str__(self) -> str:
        return f"{self.count} × {self.encoding} ({self.units} of {self.per_segment} per segment)"


def count_segments(text: str) -> Segments:
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single)
    return Segments(encoding, units, -(-units // multi), multi)
