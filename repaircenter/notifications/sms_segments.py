"""How many SMS segments a text takes: GSM-7 when every character is in the GSM 03.38 alphabet,
otherwise UCS-2. Each extra segment costs money, so the template editor shows the count."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
        if self.count <= 1:
            return _("1 segment (%(encoding)s, %(units)d of %(per)d characters)") % {
                "encoding": self.encoding, "units": self.units, "per": self.per_segment}
        return ngettext(
            "%(count)d segment (%(encoding)s, %(units)d characters, %(per)d per segment)",
            "%(count)d segments (%(encoding)s, %(units)d characters, %(per)d per segment)",
            self.count,
        ) % {"count": self.count, "encoding": self.encoding, "units": self.units,
             "per": self.per_segment}


def count_segments(text: str) -> Segments:
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        sizes = [2 if c in GSM_EXTENDED else 1 for c in text]
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        sizes = [len(c.encode("utf-16-le")) // 2 for c in text]  # 2 for an emoji
        single, multi, encoding = 70, 67, "UCS-2"
    units = sum(sizes)
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single)
    # A two-unit character (an escaped GSM character, a surrogate pair) is never split across
    # segments: fill each one and start the next when a character does not fit.
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return Segments(encoding, units, count, multi)
