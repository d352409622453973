"""A small PDF writer for text-and-rule documents in the standard fonts.

The payslip PDF is text, filled rectangles and thin rules in Helvetica and
Helvetica-Bold, nothing more, and a large employer renders thousands of them
per payroll run. A general layout engine spends most of its time on things a
payslip never needs (flowables, table styles, paragraph markup), so the
payslip is drawn at precomputed positions onto `PdfPage`s and `write_pdf`
serialises them directly.

Every byte follows from the input: no clock, no random document id (the id
is a digest of the document itself), no dictionary order that could change,
and the page streams are compressed with zlib at a fixed level. The fonts are
the PDF standard fonts with WinAnsiEncoding; they are not embedded, which
keeps a payslip at a few kilobytes, and that encoding covers å, ä, ö and é.
Glyph widths come from ReportLab's metrics of the same fonts.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
import zlib
from dataclasses import dataclass

from reportlab.pdfbase import pdfmetrics

PAGE_WIDTH = 595.2755905511812
PAGE_HEIGHT = 841.8897637795277
"""A4 in points."""

# zlib's fastest level: five times faster than its default on a payslip's
# page for about a tenth more bytes (1.6 kB instead of 1.4 kB).
_COMPRESSION_LEVEL = 1
# Letters that Unicode does not decompose into a base letter and a mark but
# that have an obvious WinAnsi spelling.
_FALLBACK = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"}
)
_SPECIAL = re.compile(rb"[\\()\r]")
_ESCAPES = {b"\\": b"\\\\", b"(": b"\\(", b")": b"\\)", b"\r": b"\\r"}


def _winansi_char(char: str) -> bytes:
    try:
        return char.encode("cp1252")
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", char.translate(_FALLBACK))
        base = "".join(part for part in decomposed if not unicodedata.combining(part))
        return base.encode("cp1252", errors="replace") or b"?"


def winansi(text: str) -> bytes:
    """Encode text for a standard font.

    A character outside WinAnsi prints as its base letter ("Ş" as "S", "ł"
    as "l"), or as "?" when it has none.
    """
    try:
        return text.encode("cp1252")
    except UnicodeEncodeError:
        return b"".join(_winansi_char(char) for char in text)


def _escape(match: re.Match[bytes]) -> bytes:
    return _ESCAPES[match[0]]


def _literal(encoded: bytes) -> bytes:
    return b"(" + _SPECIAL.sub(_escape, encoded) + b")"


@dataclass(frozen=True, slots=True)
class Font:
    """A standard font as the page refers to it, with its glyph widths."""

    resource: bytes
    base_font: str
    widths: tuple[int, ...]
    """Width of each WinAnsi code in thousandths of the font size."""

    def width(self, encoded: bytes, size: float) -> float:
        """Width in points of WinAnsi-encoded text at `size`."""
        widths = self.widths
        return sum(widths[byte] for byte in encoded) * size / 1000


def standard_font(resource: str, base_font: str) -> Font:
    """Describe a standard Type 1 font, e.g. `standard_font("F1", "Helvetica")`."""
    widths = pdfmetrics.getFont(base_font).widths
    return Font(resource.encode("ascii"), base_font, tuple(int(w) for w in widths))


def rgb(hex_color: str) -> bytes:
    """The operands of a colour `#rrggbb`, e.g. `b"0.1216 0.1608 0.2"`."""
    channels = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return b" ".join(
        f"{channel:.4f}".rstrip("0").rstrip(".").encode() for channel in channels
    )


@dataclass(frozen=True, slots=True)
class TextStyle:
    """A font at a size in a fill colour (from `rgb`)."""

    font: Font
    size: float
    color: bytes

    def width(self, encoded: bytes) -> float:
        """Width in points of WinAnsi-encoded text in this style."""
        return self.font.width(encoded, self.size)


def wrap(text: str, style: TextStyle, width: float) -> list[bytes]:
    """Break text into WinAnsi lines no wider than `width`, at spaces.

    No-break spaces hold (an amount never splits); a single word wider than
    `width` keeps a line of its own.
    """
    encoded = winansi(text)
    if style.width(encoded) <= width:
        return [encoded]
    lines: list[bytes] = []
    current = b""
    for word in encoded.split(b" "):
        candidate = current + b" " + word if current else word
        if current and style.width(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def shorten(text: str, style: TextStyle, width: float) -> bytes:
    """Encode text for one line of at most `width`, cut with "…" if it is longer."""
    encoded = winansi(text)
    if style.width(encoded) <= width:
        return encoded
    ellipsis = "…".encode("cp1252")
    while encoded and style.width(encoded + ellipsis) > width:
        encoded = encoded[:-1]
    return encoded.rstrip() + ellipsis


class PdfPage:
    """The drawing operations of one page, in PDF content-stream syntax.

    Positions are written to 1/100 point, far below what anyone can see. The
    current font and colours are tracked so that a run of text in one style
    sets them once.
    """

    __slots__ = ("_fill", "_font", "_ops", "_stroke")

    def __init__(self) -> None:
        self._ops: list[bytes] = []
        self._font: tuple[bytes, float] | None = None
        self._fill = b""
        self._stroke = b""

    def _set_fill(self, color: bytes) -> None:
        if color != self._fill:
            self._ops.append(color + b" rg\n")
            self._fill = color

    def text(self, x: float, y: float, text: str, style: TextStyle) -> None:
        """Draw text with its baseline starting at (x, y)."""
        self.encoded_text(x, y, winansi(text), style)

    def text_right(self, right: float, y: float, text: str, style: TextStyle) -> None:
        """Draw text with its baseline ending at (right, y)."""
        encoded = winansi(text)
        self.encoded_text(right - style.width(encoded), y, encoded, style)

    def encoded_text(
        self, x: float, y: float, encoded: bytes, style: TextStyle
    ) -> None:
        """Draw text already encoded with `winansi`."""
        if not encoded:
            return
        self._set_fill(style.color)
        ops = self._ops
        font = (style.font.resource, style.size)
        if self._font != font:
            self._font = font
            ops.append(b"/%s %.2f Tf\n" % font)
        ops.append(b"BT %.2f %.2f Td %s Tj ET\n" % (x, y, _literal(encoded)))

    def fill_rect(
        self, x: float, y: float, width: float, height: float, color: bytes
    ) -> None:
        """Fill a rectangle whose lower left corner is (x, y)."""
        self._set_fill(color)
        self._ops.append(b"%.2f %.2f %.2f %.2f re f\n" % (x, y, width, height))

    def hline(
        self, x1: float, x2: float, y: float, line_width: float, color: bytes
    ) -> None:
        """Draw a horizontal rule from x1 to x2 at height y."""
        if color != self._stroke:
            self._ops.append(color + b" RG\n")
            self._stroke = color
        self._ops.append(
            b"%.2f w %.2f %.2f m %.2f %.2f l S\n" % (line_width, x1, y, x2, y)
        )

    def content(self) -> bytes:
        """The page's content stream, uncompressed."""
        return b"".join(self._ops)


@dataclass(frozen=True, slots=True)
class PdfInfo:
    """The document information dictionary; `created` is a PDF date string."""

    title: str
    author: str
    subject: str
    creator: str
    created: str
    """E.g. "D:20261120093000+00'00'"; also written as the modification date."""
    language: str
    """The text's language for screen readers, e.g. "sv-SE"."""


@functools.lru_cache(maxsize=256)
def _text_string(text: str) -> bytes:
    # UTF-16BE with a byte order mark reads the same in every viewer. A run's
    # payslips share their employer, subject and creator, hence the cache.
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _info_dict(info: PdfInfo) -> bytes:
    date = info.created.encode("ascii")
    return b"".join(
        (
            b"<< /Title " + _text_string(info.title),
            b" /Author " + _text_string(info.author),
            b" /Subject " + _text_string(info.subject),
            b" /Creator " + _text_string(info.creator),
            b" /Producer " + _text_string(info.creator),
            b" /CreationDate (" + date + b") /ModDate (" + date + b") >>",
        )
    )


def write_pdf(pages: list[PdfPage], fonts: tuple[Font, ...], info: PdfInfo) -> bytes:
    """Serialise A4 pages drawn with `fonts` as one PDF document.

    Objects: 1 the catalog, 2 the page tree, then the fonts, then each page
    followed by its content stream, and last the information dictionary.
    """
    first_page = 3 + len(fonts)
    font_refs = b" ".join(
        b"/%s %d 0 R" % (font.resource, 3 + i) for i, font in enumerate(fonts)
    )
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(pages)))
    resources = b"<< /Font << %s >> /ProcSet [/PDF /Text] >>" % font_refs
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (%s) >>" % info.language.encode("ascii"),
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
    ]
    objects += [
        b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
        % font.base_font.encode("ascii")
        for font in fonts
    ]
    for i, page in enumerate(pages):
        stream = zlib.compress(page.content(), _COMPRESSION_LEVEL)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] "
            b"/Resources %s /Contents %d 0 R >>"
            % (PAGE_WIDTH, PAGE_HEIGHT, resources, first_page + 2 * i + 1)
        )
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
            % (len(stream), stream)
        )
    objects.append(_info_dict(info))

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    # The id identifies this exact document, so it is a digest of it.
    digest = hashlib.md5(out, usedforsecurity=False).hexdigest().encode("ascii")
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += (
        b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R /ID [<%s> <%s>] >>\n"
        b"startxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, len(objects), digest, digest, xref)
    )
    return bytes(out)
