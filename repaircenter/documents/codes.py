"""QR codes and barcodes, as inline SVG for the printed documents."""

import io

import segno
from barcode import Code128
from barcode.writer import SVGWriter


def qr_svg(data: str, scale: int = 3) -> str:
    """An SVG element (no XML declaration) of a QR code, for inlining in HTML."""
    return segno.make(data, error="m").svg_inline(scale=scale, border=2)


def barcode_svg(data: str) -> str:
    """An SVG element of a Code 128 barcode, as the counter's USB scanner reads it."""
    out = io.BytesIO()
    Code128(data, writer=SVGWriter()).write(
        out,
        options={"module_width": 0.3, "module_height": 12.0, "quiet_zone": 4.0,
                 "write_text": False, "compress": False},
    )
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]
