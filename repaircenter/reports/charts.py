"""Charts drawn on the server as SVG: bars whose geometry is computed here and drawn by small
templates, readable without JavaScript, in print, and by a screen reader (each chart has a
title, and the table beside it holds the same figures)."""

from dataclasses import dataclass, field

WIDTH = 480
LABEL_WIDTH = 150
VALUE_WIDTH = 90
BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH
ROW = 32
BAR = 22

# One colour per meaning, the same in every chart.
COLOURS = {
    "main": "#1e3a8a", "second": "#60a5fa", "good": "#16a34a", "sent": "#93c5fd",
    "bad": "#b91c1c", "waiting": "#9ca3af", "neutral": "#f59e0b",
}


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    colour: str
    title: str


@dataclass(frozen=True)
class Row:
    y: float
    label: str
    text: str
    segments: tuple[Segment, ...]

    @property
    def text_x(self) -> float:
        return LABEL_WIDTH + sum(s.width for s in self.segments) + 6

    @property
    def bar_height(self) -> int:
        return BAR

    @property
    def label_y(self) -> float:
        return self.y + BAR / 2 + 4


@dataclass(frozen=True)
class Chart:
    title: str
    rows: tuple[Row, ...]
    legend: tuple[tuple[str, str], ...] = field(default=())

    @property
    def height(self) -> int:
        return len(self.rows) * ROW + (24 if self.legend else 0) + 6

    @property
    def legend_y(self) -> int:
        return len(self.rows) * ROW + 14

    @property
    def legend_items(self) -> list[tuple[float, float, str, str]]:
        """(x of the swatch, x of the text, colour, label) of each legend entry."""
        items, x = [], float(LABEL_WIDTH)
        for colour, label in self.legend:
            items.append((x, x + 16, colour, label))
            x += 28 + 7.5 * len(label)
        return items

    @property
    def swatch_y(self) -> int:
        return self.legend_y - 10

    @property
    def width(self) -> int:
        return WIDTH

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 8


def bars(title: str, items: list[tuple[str, float, str]], colour: str = "main") -> Chart:
    """One bar per (label, value, text shown at its end), scaled to the largest value."""
    largest = max((value for _label, value, _text in items), default=0) or 1
    rows = tuple(
        Row(y=3 + index * ROW, label=label, text=text, segments=(
            Segment(LABEL_WIDTH, round(BAR_AREA * value / largest, 1), COLOURS[colour], text),
        ))
        for index, (label, value, text) in enumerate(items)
    )
    return Chart(title, rows)


def stacked(title: str, parts: list[tuple[str, str]],
            items: list[tuple[str, list[float], str]]) -> Chart:
    """One bar per item, cut into `parts` ((colour, label) each), scaled to the longest bar."""
    largest = max((sum(values) for _label, values, _text in items), default=0) or 1
    rows = []
    for index, (label, values, text) in enumerate(items):
        x, segments = float(LABEL_WIDTH), []
        for (colour, part), value in zip(parts, values, strict=True):
            width = round(BAR_AREA * value / largest, 1)
            if width:
                segments.append(Segment(x, width, COLOURS[colour], f"{part}: {value:g}"))
            x += width
        rows.append(Row(y=3 + index * ROW, label=label, text=text, segments=tuple(segments)))
    return Chart(title, tuple(rows), legend=tuple((COLOURS[c], label) for c, label in parts))
