"""The PDF lönespecifikation, drawn with ReportLab.

The PDF is the payslip the employee keeps, so it reads like a Swedish
lönespecifikation: employer and employee at the top, every line with antal,
à-pris and belopp, then the totals down to "Att utbetala", the year to date
and the vacation days.

It must be byte-for-byte reproducible: Kivra's duplicate control compares
whole payloads, and a resend must carry the identical PDF. ReportLab's
invariant mode fixes the document id, and the creation date comes from the
input instead of the clock. Only the standard Helvetica fonts are used; they
are not embedded, which keeps a payslip at a few kilobytes, and their
WinAnsi encoding covers å, ä, ö and é.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
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

from backend.payroll.documents_format import (
    format_amount,
    format_date_sv,
    format_number,
    format_orgnr,
    format_period_sv,
    format_personnummer,
    format_sek,
)
from backend.payroll.documents_input import LineKind, PayslipDocumentInput, PayslipLine

_FONT = "Helvetica"
_BOLD = "Helvetica-Bold"
_INK = colors.HexColor("#1f2933")
_MUTED = colors.HexColor("#52606d")
_RULE = colors.HexColor("#cbd2d9")
_SHADE = colors.HexColor("#f0f4f8")
_PAGE_WIDTH, _PAGE_HEIGHT = A4
_MARGIN = 18 * mm
_CONTENT_WIDTH = _PAGE_WIDTH - 2 * _MARGIN

_SECTIONS: tuple[tuple[LineKind, str], ...] = (
    ("earning", "Lön och ersättningar"),
    ("absence", "Frånvaro"),
    ("benefit", "Skattepliktiga förmåner"),
    ("deduction", "Avdrag efter skatt"),
)

_STYLES = {
    "title": ParagraphStyle(
        "title", fontName=_BOLD, fontSize=16, leading=20, textColor=_INK
    ),
    "employer": ParagraphStyle(
        "employer", fontName=_BOLD, fontSize=11, leading=14, textColor=_INK
    ),
    "body": ParagraphStyle(
        "body", fontName=_FONT, fontSize=9, leading=12, textColor=_INK
    ),
    "muted": ParagraphStyle(
        "muted", fontName=_FONT, fontSize=8, leading=10, textColor=_MUTED
    ),
    "heading": ParagraphStyle(
        "heading",
        fontName=_BOLD,
        fontSize=10,
        leading=13,
        textColor=_INK,
        spaceBefore=8,
        spaceAfter=3,
    ),
    "right": ParagraphStyle(
        "right", fontName=_FONT, fontSize=9, leading=12, alignment=TA_RIGHT
    ),
}


def _escape(text: str) -> str:
    # Paragraph text is a small markup language; names like "Berg & Son AB" must stay literal.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(_escape(text), _STYLES[style])


def _creation_date(inp: PayslipDocumentInput) -> datetime:
    if inp.issued_at is not None:
        # A naive time is taken as UTC: reading it as local time would make
        # the bytes depend on the machine's time zone.
        if inp.issued_at.tzinfo is None:
            return inp.issued_at.replace(tzinfo=UTC)
        return inp.issued_at.astimezone(UTC)
    return datetime(inp.pay_date.year, inp.pay_date.month, inp.pay_date.day, tzinfo=UTC)


def _header(inp: PayslipDocumentInput) -> Flowable:
    employer = inp.employer
    left = [
        _p(employer.name, "employer"),
        _p(employer.street_address),
        _p(f"{employer.postal_code} {employer.city}"),
    ]
    if employer.orgnr:
        left.append(_p(f"Org.nr {format_orgnr(employer.orgnr)}"))
    right = [
        _p("Lönespecifikation", "title"),
        _p(f"Löneperiod: {format_period_sv(inp.period)}"),
        _p(f"{inp.period_start.isoformat()} – {inp.period_end.isoformat()}", "muted"),
        _p(f"Utbetalningsdag: {format_date_sv(inp.pay_date)}"),
    ]
    table = Table(
        [[left, right]], colWidths=[_CONTENT_WIDTH * 0.55, _CONTENT_WIDTH * 0.45]
    )
    table.setStyle(
        TableStyle(
            [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
        )
    )
    return table


def _employee_block(inp: PayslipDocumentInput) -> Flowable:
    employee = inp.employee
    id_label = (
        "Samordningsnummer"
        if employee.id_kind == "samordningsnummer"
        else "Personnummer"
    )
    rows = [
        ("Anställd", employee.name),
        (
            id_label,
            format_personnummer(
                employee.personnummer, masked=employee.protected_identity
            ),
        ),
    ]
    if employee.employee_number:
        rows.append(("Anställningsnummer", employee.employee_number))
    rows.append(("Anställd sedan", employee.employment_start.isoformat()))
    if inp.tax_table:
        column = f", kolumn {inp.tax_column}" if inp.tax_column else ""
        rows.append(("Skattetabell", f"{inp.tax_table}{column}"))
    if inp.bank_account:
        rows.append(("Utbetalas till", inp.bank_account))
    table = Table(
        [[_p(label, "muted"), _p(value)] for label, value in rows],
        colWidths=[40 * mm, _CONTENT_WIDTH - 40 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _optional(value: Decimal | None, fmt: Callable[[Decimal], str]) -> str:
    return "" if value is None else fmt(value)


def _description_cell(text: str) -> str | Paragraph:
    # Plain strings sit on the same baseline as the other cells; only a
    # description too long for its column is wrapped as a paragraph.
    return text if len(text) <= 40 else _p(text)


def _lines_table(inp: PayslipDocumentInput) -> Flowable:
    widths = [14 * mm, 70 * mm, 20 * mm, 14 * mm, 28 * mm]
    widths.append(_CONTENT_WIDTH - sum(widths))
    data: list[list[Any]] = [["Kod", "Benämning", "Antal", "Enhet", "À-pris", "Belopp"]]
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), _BOLD, 8.5),
        ("FONT", (0, 1), (-1, -1), _FONT, 9),
        ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, _INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("ALIGN", (4, 0), (5, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ]
    for kind, title in _SECTIONS:
        section: list[PayslipLine] = [line for line in inp.lines if line.kind == kind]
        if not section:
            continue
        row = len(data)
        data.append(["", title, "", "", "", ""])
        style += [
            ("FONT", (0, row), (-1, row), _BOLD, 9),
            ("TOPPADDING", (0, row), (-1, row), 6),
            ("LINEBELOW", (1, row), (-1, row), 0.3, _RULE),
        ]
        for line in section:
            data.append(
                [
                    line.code,
                    _description_cell(line.description),
                    _optional(line.quantity, format_number),
                    line.unit or "",
                    _optional(line.unit_price, format_amount),
                    format_amount(line.amount),
                ]
            )
    if len(data) == 1:
        data.append(["", "Inga lönerader denna period", "", "", "", ""])
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _totals(inp: PayslipDocumentInput) -> Flowable:
    benefits = sum(
        (line.amount for line in inp.lines if line.kind == "benefit"), Decimal(0)
    )
    deductions = sum(
        (line.amount for line in inp.lines if line.kind == "deduction"), Decimal(0)
    )
    rows: list[tuple[str, str]] = [("Bruttolön", format_sek(inp.gross_pay))]
    if benefits:
        rows.append(("Skattepliktiga förmåner (betalas inte ut)", format_sek(benefits)))
    rows.append(("Preliminär skatt", format_sek(-inp.preliminary_tax)))
    if deductions:
        rows.append(("Avdrag efter skatt", format_sek(deductions)))
    rows.append(("Att utbetala", format_sek(inp.net_pay)))
    last = len(rows) - 1
    table = Table(rows, colWidths=[_CONTENT_WIDTH - 45 * mm, 45 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), _FONT, 10),
                ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("FONT", (0, last), (-1, last), _BOLD, 12),
                ("LINEABOVE", (0, last), (-1, last), 0.8, _INK),
                ("BACKGROUND", (0, last), (-1, last), _SHADE),
                ("TOPPADDING", (0, last), (-1, last), 5),
                ("BOTTOMPADDING", (0, last), (-1, last), 5),
            ]
        )
    )
    return table


def _year_and_vacation(inp: PayslipDocumentInput) -> Flowable:
    year = inp.pay_date.year
    left = [
        ["Hittills i år", ""],
        [f"Bruttolön {year}", format_sek(inp.ytd_gross)],
        [f"Preliminär skatt {year}", format_sek(inp.ytd_tax)],
    ]
    right = [
        ["Semester", ""],
        ["Betalda semesterdagar", format_number(inp.vacation_days_paid)],
        ["Kvarvarande semesterdagar", format_number(inp.vacation_days_remaining)],
    ]
    half = (_CONTENT_WIDTH - 8 * mm) / 2
    boxes = []
    for data in (left, right):
        box = Table(data, colWidths=[half - 30 * mm, 30 * mm])
        box.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), _FONT, 9),
                    ("FONT", (0, 0), (-1, 0), _BOLD, 10),
                    ("TEXTCOLOR", (0, 0), (-1, -1), _INK),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 2),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.3, _RULE),
                ]
            )
        )
        boxes.append(box)
    outer = Table([[boxes[0], "", boxes[1]]], colWidths=[half, 8 * mm, half])
    outer.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return outer


def _page_decorator(inp: PayslipDocumentInput) -> Callable[[Canvas, Any], None]:
    stamp = _creation_date(inp).strftime("D:%Y%m%d%H%M%S+00'00'")
    employer = inp.employer
    footer = f"{employer.name} · {employer.email} · {employer.phone}"
    created = f"Skapad i {inp.source_system} {_creation_date(inp).date().isoformat()}"
    continued = f"Lönespecifikation {format_period_sv(inp.period)} · {inp.employee.name} (forts.)"

    def decorate(canvas: Canvas, doc: Any) -> None:
        # The PDF's CreationDate/ModDate come from the input, never the clock.
        canvas.setDateFormatter(lambda *_parts: stamp)
        canvas.saveState()
        canvas.setFont(_FONT, 7.5)
        canvas.setFillColor(_MUTED)
        canvas.setStrokeColor(_RULE)
        canvas.line(_MARGIN, 14 * mm, _PAGE_WIDTH - _MARGIN, 14 * mm)
        canvas.drawString(_MARGIN, 10 * mm, footer)
        canvas.drawRightString(
            _PAGE_WIDTH - _MARGIN, 10 * mm, f"{created} · Sida {doc.page}"
        )
        if doc.page > 1:
            # A loose page must still say whose payslip it belongs to.
            canvas.drawString(_MARGIN, _PAGE_HEIGHT - 11 * mm, continued)
        canvas.restoreState()

    return decorate


def render_pdf(inp: PayslipDocumentInput) -> bytes:
    """Render the payslip as a PDF lönespecifikation; same input, same bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=22 * mm,
        title=f"Lönespecifikation {format_period_sv(inp.period)}",
        author=inp.employer.name,
        subject="Lönespecifikation",
        creator=inp.source_system,
        producer=inp.source_system,
        invariant=1,
    )
    story: list[Flowable] = [
        _header(inp),
        Spacer(1, 6 * mm),
        _employee_block(inp),
        Spacer(1, 5 * mm),
        _lines_table(inp),
        Spacer(1, 6 * mm),
        KeepTogether([_totals(inp), Spacer(1, 6 * mm), _year_and_vacation(inp)]),
    ]
    decorate = _page_decorator(inp)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
