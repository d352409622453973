"""The invoice PDF, drawn with ReportLab like the payslip.

It reads like a Swedish faktura: seller and customer at the top with the
invoice number and dates, the lines with antal, à-pris, moms and belopp, the
VAT summary per rate, the total, and a payment box with the giro number,
the reference (OCR) and the due date. A credit note shows what it credits
and no payment box; a reminder names the invoice it reminds of.

The bytes are reproducible: ReportLab's invariant mode fixes the document
id and the creation date is the issue date, never the clock. Only the
standard Helvetica fonts are used, not embedded, as on the payslip.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import Flowable

from backend.invoices.documents_input import SOURCE_SYSTEM, InvoiceDocumentInput, Party
from backend.invoices.validation import format_giro
from backend.payroll.documents_format import (
    format_amount,
    format_date_sv,
    format_number,
    format_orgnr,
    format_personnummer,
    format_sek,
)

_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")
_SHADE = colors.HexColor("#f0f4f8")
_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN = 18 * mm
_CONTENT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN

_STYLES = {
    "title": ParagraphStyle(
        "title", fontName=_BOLD, fontSize=18, leading=22, textColor=_INK
    ),
    "name": ParagraphStyle(
        "name", fontName=_BOLD, fontSize=11, leading=14, textColor=_INK
    ),
    "body": ParagraphStyle(
        "body", fontName=_FONT, fontSize=9, leading=12, textColor=_INK
    ),
    "muted": ParagraphStyle(
        "muted", fontName=_FONT, fontSize=8, leading=10, textColor=_MUTED
    ),
}

_TABLE_BASE: list[tuple[Any, ...]] = [
    ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
]


def _escape(text: str) -> str:
    # Paragraph text is a small markup language; "Berg & Son AB" must stay literal.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(_escape(text), _STYLES[style])


def _party(party: Party, heading: str) -> list[Flowable]:
    block = [_p(heading, "muted"), _p(party.name, "name")]
    block += [_p(party.street_address), _p(f"{party.postal_code} {party.city}")]
    if party.orgnr:
        block.append(_p(f"Org.nr {format_orgnr(party.orgnr)}"))
    if party.vat_number:
        block.append(_p(f"Momsreg.nr {party.vat_number}"))
    if party.personnummer:
        block.append(
            _p(f"Personnummer {format_personnummer(party.personnummer, masked=True)}")
        )
    return block


def _facts(inp: InvoiceDocumentInput) -> list[tuple[str, str]]:
    facts = [
        ("Fakturanummer" if inp.kind == "invoice" else "Nummer", inp.number),
        (
            "Fakturadatum" if inp.kind == "invoice" else "Datum",
            inp.issue_date.isoformat(),
        ),
    ]
    if inp.original_number:
        facts.append(("Avser faktura", inp.original_number))
    if inp.due_date is not None:
        facts.append(("Förfallodatum", inp.due_date.isoformat()))
    return facts


def _header(inp: InvoiceDocumentInput) -> Flowable:
    facts = Table(
        [[_p(label, "muted"), _p(value)] for label, value in _facts(inp)],
        colWidths=[32 * mm, 45 * mm],
    )
    facts.setStyle(TableStyle(_TABLE_BASE))
    right: list[Flowable] = [_p(inp.title, "title"), Spacer(1, 3 * mm), facts]
    table = Table(
        [[_party(inp.seller, "Från"), right], [_party(inp.customer, "Till"), ""]],
        colWidths=[_CONTENT_WIDTH * 0.55, _CONTENT_WIDTH * 0.45],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, 1), 6 * mm),
            ]
        )
    )
    return table


def _description_cell(text: str) -> str | Paragraph:
    # Plain strings sit on the cells' baseline; only long text is wrapped.
    return text if len(text) <= 45 else _p(text)


def _lines_table(inp: InvoiceDocumentInput) -> Flowable:
    widths = [80 * mm, 18 * mm, 26 * mm, 14 * mm]
    widths.append(_CONTENT_WIDTH - sum(widths))
    data: list[list[Any]] = [["Beskrivning", "Antal", "À-pris", "Moms", "Belopp"]]
    data += [
        [
            _description_cell(line.description),
            format_number(line.quantity),
            format_amount(line.unit_price),
            f"{format_number(line.vat_rate)} %",
            format_amount(line.net_amount),
        ]
        for line in inp.lines
    ]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                *_TABLE_BASE,
                ("FONT", (0, 0), (-1, 0), _BOLD, 8.5),
                ("FONT", (0, 1), (-1, -1), _FONT, 9),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.3, _RULE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _totals(inp: InvoiceDocumentInput) -> Flowable:
    rows: list[list[str]] = [["Momssats", "Underlag", "Moms"]]
    rows += [
        [
            f"{format_number(group.vat_rate)} %",
            format_amount(group.net_amount),
            format_amount(group.vat_amount),
        ]
        for group in inp.vat_groups
    ]
    rows.append(["Summa exkl. moms", "", format_sek(inp.net_amount)])
    rows.append(["Summa moms", "", format_sek(inp.vat_amount)])
    if inp.reminder_fee:
        rows.append(["Påminnelseavgift (momsfri)", "", format_sek(inp.reminder_fee)])
    rows.append(
        [
            "Att betala" if inp.payable else "Att kreditera",
            "",
            format_sek(inp.total_amount),
        ]
    )
    last = len(rows) - 1
    table = Table(rows, colWidths=[_CONTENT_WIDTH - 75 * mm, 35 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_BASE,
                ("FONT", (0, 0), (-1, -1), _FONT, 9.5),
                ("FONT", (0, 0), (-1, 0), _BOLD, 8.5),
                ("LINEBELOW", (0, 0), (-1, 0), 0.3, _RULE),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("FONT", (0, last), (-1, last), _BOLD, 12),
                ("LINEABOVE", (0, last), (-1, last), 0.8, _INK),
                ("BACKGROUND", (0, last), (-1, last), _SHADE),
                ("TOPPADDING", (0, last), (-1, last), 5),
                ("BOTTOMPADDING", (0, last), (-1, last), 5),
            ]
        )
    )
    return table


def _payment(inp: InvoiceDocumentInput) -> Flowable:
    if not inp.payable:
        return _p(
            "Kreditfakturan betalas inte. Beloppet dras av från det du är skyldig "
            f"{inp.seller.name} eller betalas tillbaka."
        )
    reference_label = "OCR-nummer" if inp.reference_kind == "SE_OCR" else "Referens"
    rows = [
        [
            "Betala till",
            f"{inp.giro_kind.capitalize()} {format_giro(inp.giro_kind, inp.giro_number)}",
        ],
        [reference_label, inp.reference],
        ["Belopp", format_sek(inp.total_amount)],
        ["Förfallodatum", format_date_sv(inp.due_date) if inp.due_date else ""],
    ]
    if inp.swish_alias:
        rows.append(["Swish", inp.swish_alias])
    table = Table(rows, colWidths=[40 * mm, _CONTENT_WIDTH - 40 * mm])
    table.setStyle(
        TableStyle(
            [
                *_TABLE_BASE,
                ("FONT", (0, 0), (0, -1), _FONT, 9),
                ("FONT", (1, 0), (1, -1), _BOLD, 10),
                ("TEXTCOLOR", (0, 0), (0, -1), _MUTED),
                ("BOX", (0, 0), (-1, -1), 0.8, _INK),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _creation_stamp(inp: InvoiceDocumentInput) -> str:
    issued = datetime(
        inp.issue_date.year, inp.issue_date.month, inp.issue_date.day, tzinfo=UTC
    )
    return issued.strftime("D:%Y%m%d%H%M%S+00'00'")


def _page_decorator(inp: InvoiceDocumentInput) -> Callable[[Canvas, Any], None]:
    stamp = _creation_stamp(inp)
    seller = inp.seller
    footer = " · ".join(
        part for part in (seller.name, seller.email, seller.phone) if part
    )
    continued = f"{inp.title} {inp.number} (forts.)"

    def decorate(canvas: Canvas, doc: Any) -> None:
        # The PDF's CreationDate/ModDate come from the input, never the clock.
        canvas.setDateFormatter(lambda *_parts: stamp)
        canvas.saveState()
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_MUTED)
        canvas.setStrokeColor(_RULE)
        canvas.line(_MARGIN, 14 * mm, _PAGE_WIDTH - _MARGIN, 14 * mm)
        canvas.drawString(_MARGIN, 10 * mm, footer)
        canvas.drawRightString(_PAGE_WIDTH - _MARGIN, 10 * mm, f"Sida {doc.page}")
        if doc.page > 1:
            canvas.drawString(_MARGIN, _PAGE_HEIGHT - 11 * mm, continued)
        canvas.restoreState()

    return decorate


def render_pdf(inp: InvoiceDocumentInput) -> bytes:
    """Render the invoice, reminder or credit note as a PDF; same input, same bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=22 * mm,
        title=f"{inp.title} {inp.number}",
        author=inp.seller.name,
        subject=inp.title,
        creator=SOURCE_SYSTEM,
        producer=SOURCE_SYSTEM,
        invariant=1,
    )
    story: list[Flowable] = [
        _header(inp),
        Spacer(1, 8 * mm),
        _lines_table(inp),
        Spacer(1, 6 * mm),
        KeepTogether([_totals(inp), Spacer(1, 8 * mm), _payment(inp)]),
    ]
    decorate = _page_decorator(inp)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
