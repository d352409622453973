"""The PDF lönespecifikation, laid out at fixed positions on A4.

The PDF is the payslip the employee keeps, so it reads like a Swedish
lönespecifikation: employer and employee at the top, every line with antal,
à-pris and belopp, then the totals down to "Att utbetala", the year to date
and the vacation days. A payslip too long for one page continues on the next
with the column headings repeated and the employee named at the top, and the
totals never split from the year-to-date figures.

The layout is a grid of precomputed positions (points from the lower left
corner) drawn with `documents_pdf_writer`: a large employer renders thousands
of payslips per run, and ReportLab's layout engine (platypus), which drew
this page before, took about fifteen times as long for it.

It must be byte-for-byte reproducible: Kivra's duplicate control compares
whole payloads, and a resend must carry the identical PDF. The creation date
comes from the input instead of the clock, and the writer adds nothing that
varies between runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

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
from backend.payroll.documents_pdf_writer import (
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PdfInfo,
    PdfPage,
    TextStyle,
    rgb,
    shorten,
    standard_font,
    winansi,
    wrap,
    write_pdf,
)

_MM = 72 / 25.4
_LEFT = 18 * _MM
_RIGHT = PAGE_WIDTH - 18 * _MM
_WIDTH = _RIGHT - _LEFT
# The body sits 6 pt inside the 18 mm top and 22 mm bottom margins; the
# footer and a continued page's heading use the margins themselves.
_TOP = PAGE_HEIGHT - 18 * _MM - 6
_BOTTOM = 22 * _MM + 6
_GAP_SMALL = 5 * _MM
_GAP = 6 * _MM

_REGULAR = standard_font("F1", "Helvetica")
_BOLD = standard_font("F2", "Helvetica-Bold")
_FONTS = (_REGULAR, _BOLD)
_INK = rgb("#1f2933")
_MUTED = rgb("#52606d")
_RULE = rgb("#cbd2d9")
_SHADE = rgb("#f0f4f8")
_TITLE = TextStyle(_BOLD, 16, _INK)
_EMPLOYER = TextStyle(_BOLD, 11, _INK)
_BOX_TITLE = TextStyle(_BOLD, 10, _INK)
_SECTION = TextStyle(_BOLD, 9, _INK)
_COLUMN = TextStyle(_BOLD, 8.5, _INK)
_NET = TextStyle(_BOLD, 12, _INK)
_TOTAL = TextStyle(_REGULAR, 10, _INK)
_BODY = TextStyle(_REGULAR, 9, _INK)
_LABEL = TextStyle(_REGULAR, 8, _MUTED)
_FOOTER = TextStyle(_REGULAR, 7.5, _MUTED)

_SECTIONS: tuple[tuple[LineKind, str], ...] = (
    ("earning", "Lön och ersättningar"),
    ("absence", "Frånvaro"),
    ("benefit", "Skattepliktiga förmåner"),
    ("deduction", "Avdrag efter skatt"),
)

# The lines table: left edges of Kod, Benämning, Antal, Enhet, À-pris and
# Belopp, and the table's right edge; text sits 2 pt inside its cell.
_COL = tuple(
    _LEFT + offset * _MM for offset in (0, 14, 84, 104, 118, 146, _WIDTH / _MM)
)
_CODE_X, _TEXT_X, _UNIT_X = _COL[0] + 2, _COL[1] + 2, _COL[3] + 2
_QUANTITY_R, _PRICE_R, _AMOUNT_R = _COL[3] - 2, _COL[5] - 2, _COL[6] - 2
_TEXT_WIDTH = _COL[2] - _COL[1] - 4
_HEADING_ROW, _SECTION_ROW, _LINE_ROW, _WRAPPED_LEADING = 14.2, 18.8, 14.8, 12.0
# The header's left column and the employee block's values, less padding.
_HEADER_LEFT = _WIDTH * 0.55 - 6
_VALUE_WIDTH = _WIDTH - 40 * _MM - 12
# A line's text baseline sits this far above the bottom of its row.
_BASELINE = 3.8


class _Pages:
    """The pages drawn so far and how far down the last one is filled."""

    def __init__(self, inp: PayslipDocumentInput, created: datetime) -> None:
        employer = inp.employer
        self._footer = f"{employer.name} · {employer.email} · {employer.phone}"
        self._created = f"Skapad i {inp.source_system} {created.date().isoformat()}"
        self._continued = f"Lönespecifikation {format_period_sv(inp.period)} · {inp.employee.name} (forts.)"
        self.pages: list[PdfPage] = []
        self.page = self.new_page()
        self.y = _TOP

    def new_page(self) -> PdfPage:
        page = PdfPage()
        number = len(self.pages) + 1
        page.hline(_LEFT, _RIGHT, 14 * _MM, 1, _RULE)
        right = winansi(f"{self._created} · Sida {number}")
        room = _WIDTH - _FOOTER.width(right) - 12
        page.encoded_text(
            _LEFT, 10 * _MM, shorten(self._footer, _FOOTER, room), _FOOTER
        )
        page.encoded_text(_RIGHT - _FOOTER.width(right), 10 * _MM, right, _FOOTER)
        if number > 1:
            # A loose page must still say whose payslip it belongs to.
            page.text(_LEFT, PAGE_HEIGHT - 11 * _MM, self._continued, _FOOTER)
        self.pages.append(page)
        self.page = page
        self.y = _TOP
        return page

    def fits(self, height: float) -> bool:
        return self.y - height >= _BOTTOM


def _creation_date(inp: PayslipDocumentInput) -> datetime:
    if inp.issued_at is not None:
        # A naive time is taken as UTC: reading it as local time would make
        # the bytes depend on the machine's time zone.
        if inp.issued_at.tzinfo is None:
            return inp.issued_at.replace(tzinfo=UTC)
        return inp.issued_at.astimezone(UTC)
    return datetime(inp.pay_date.year, inp.pay_date.month, inp.pay_date.day, tzinfo=UTC)


def _header(pages: _Pages, inp: PayslipDocumentInput) -> None:
    page, top, employer = pages.page, pages.y, inp.employer
    address = [employer.street_address, f"{employer.postal_code} {employer.city}"]
    if employer.orgnr:
        address.append(f"Org.nr {format_orgnr(employer.orgnr)}")
    left = [
        (line, _EMPLOYER, 14) for line in wrap(employer.name, _EMPLOYER, _HEADER_LEFT)
    ]
    for text in address:
        left += [(line, _BODY, 12) for line in wrap(text, _BODY, _HEADER_LEFT)]
    y = top - 3
    for line, style, leading in left:
        page.encoded_text(_LEFT, y - style.size, line, style)
        y -= leading
    x = _LEFT + _WIDTH * 0.55
    page.text(x, top - 19, "Lönespecifikation", _TITLE)
    period = f"Löneperiod: {format_period_sv(inp.period)}"
    page.text(x, top - 32, period, _BODY)
    dates = f"{inp.period_start.isoformat()} – {inp.period_end.isoformat()}"
    page.text(x, top - 43, dates, _LABEL)
    pay_day = f"Utbetalningsdag: {format_date_sv(inp.pay_date)}"
    page.text(x, top - 54, pay_day, _BODY)
    # The right column is 54 pt high; a long employer name makes the left taller.
    pages.y = top - max(top - 3 - y, 54) - 6 - _GAP


def _employee_block(pages: _Pages, inp: PayslipDocumentInput) -> None:
    employee = inp.employee
    id_label = (
        "Samordningsnummer"
        if employee.id_kind == "samordningsnummer"
        else "Personnummer"
    )
    identity = format_personnummer(
        employee.personnummer, masked=employee.protected_identity
    )
    rows = [("Anställd", employee.name), (id_label, identity)]
    if employee.employee_number:
        rows.append(("Anställningsnummer", employee.employee_number))
    rows.append(("Anställd sedan", employee.employment_start.isoformat()))
    if inp.tax_table:
        column = f", kolumn {inp.tax_column}" if inp.tax_column else ""
        rows.append(("Skattetabell", f"{inp.tax_table}{column}"))
    if inp.bank_account:
        rows.append(("Utbetalas till", inp.bank_account))
    wrapped = [(label, wrap(value, _BODY, _VALUE_WIDTH)) for label, value in rows]
    page, y = pages.page, pages.y
    height = sum(12 * len(lines) + 4 for _, lines in wrapped)
    page.fill_rect(_LEFT, y - height, _WIDTH, height, _SHADE)
    for label, lines in wrapped:
        bottom = y - 12 * len(lines) - 4
        # The label sits in the middle of its row, beside a value of one or more lines.
        page.text(_LEFT + 6, bottom + 6 * len(lines) - 1, label, _LABEL)
        for n, line in enumerate(lines):
            page.encoded_text(_LEFT + 40 * _MM + 6, y - 11 - 12 * n, line, _BODY)
        y = bottom
    pages.y = y - _GAP_SMALL


def _table_heading(pages: _Pages) -> None:
    page, baseline = pages.page, pages.y - _HEADING_ROW + 3.7
    page.text(_CODE_X, baseline, "Kod", _COLUMN)
    page.text(_TEXT_X, baseline, "Benämning", _COLUMN)
    page.text_right(_QUANTITY_R, baseline, "Antal", _COLUMN)
    page.text(_UNIT_X, baseline, "Enhet", _COLUMN)
    page.text_right(_PRICE_R, baseline, "À-pris", _COLUMN)
    page.text_right(_AMOUNT_R, baseline, "Belopp", _COLUMN)
    pages.y -= _HEADING_ROW
    page.hline(_LEFT, _RIGHT, pages.y, 0.8, _INK)


def _row_height(description: list[bytes]) -> float:
    if len(description) == 1:
        return _LINE_ROW
    return _WRAPPED_LEADING * len(description) + 4


def _ensure_room(pages: _Pages, height: float) -> None:
    if not pages.fits(height):
        pages.new_page()
        _table_heading(pages)


def _line_row(pages: _Pages, line: PayslipLine, description: list[bytes]) -> None:
    height = _row_height(description)
    _ensure_room(pages, height)
    page, top = pages.page, pages.y
    bottom = top - height
    baseline = bottom + height / 2 - 3.6
    page.text(_CODE_X, baseline, line.code, _BODY)
    for n, text in enumerate(description):
        # One line sits like the other cells; wrapped lines run down from the top.
        y = baseline if len(description) == 1 else top - 11 - 12 * n
        page.encoded_text(_TEXT_X, y, text, _BODY)
    if line.quantity is not None:
        quantity = format_number(line.quantity)
        page.text_right(_QUANTITY_R, baseline, quantity, _BODY)
    if line.unit:
        page.text(_UNIT_X, baseline, line.unit, _BODY)
    if line.unit_price is not None:
        price = format_amount(line.unit_price)
        page.text_right(_PRICE_R, baseline, price, _BODY)
    page.text_right(_AMOUNT_R, baseline, format_amount(line.amount), _BODY)
    pages.y = bottom


def _lines_table(pages: _Pages, inp: PayslipDocumentInput) -> None:
    _table_heading(pages)
    drawn = False
    for kind, title in _SECTIONS:
        section = [line for line in inp.lines if line.kind == kind]
        if not section:
            continue
        descriptions = [wrap(line.description, _BODY, _TEXT_WIDTH) for line in section]
        # A section heading never stays alone at the foot of a page.
        _ensure_room(pages, _SECTION_ROW + _row_height(descriptions[0]))
        page = pages.page
        pages.y -= _SECTION_ROW
        page.text(_TEXT_X, pages.y + _BASELINE, title, _SECTION)
        page.hline(_COL[1], _RIGHT, pages.y, 0.3, _RULE)
        for line, description in zip(section, descriptions, strict=True):
            _line_row(pages, line, description)
        drawn = True
    if not drawn:
        pages.y -= _LINE_ROW
        page = pages.page
        page.text(_TEXT_X, pages.y + _BASELINE, "Inga lönerader denna period", _BODY)


def _totals_and_year(pages: _Pages, inp: PayslipDocumentInput) -> None:
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
    net = format_sek(inp.net_pay)
    totals_height = 18 * len(rows) + 24.4
    pages.y -= _GAP
    # The totals and the year's figures stay together on one page.
    if not pages.fits(totals_height + _GAP + 57.6):
        pages.new_page()
    page, top = pages.page, pages.y
    bottom = top - totals_height
    page.fill_rect(_LEFT, bottom, _WIDTH, 24.4, _SHADE)
    for n, (label, value) in enumerate(rows):
        baseline = top - 18 * n - 13
        page.text(_LEFT + 2, baseline, label, _TOTAL)
        page.text_right(_RIGHT - 2, baseline, value, _TOTAL)
    page.text(_LEFT + 2, bottom + 7.4, "Att utbetala", _NET)
    page.text_right(_RIGHT - 2, bottom + 7.4, net, _NET)
    page.hline(_LEFT, _RIGHT, bottom + 24.4, 0.8, _INK)

    year = inp.pay_date.year
    boxes = (
        (
            "Hittills i år",
            (f"Bruttolön {year}", format_sek(inp.ytd_gross)),
            (f"Preliminär skatt {year}", format_sek(inp.ytd_tax)),
        ),
        (
            "Semester",
            ("Betalda semesterdagar", format_number(inp.vacation_days_paid)),
            ("Kvarvarande semesterdagar", format_number(inp.vacation_days_remaining)),
        ),
    )
    box_width = (_WIDTH - 8 * _MM) / 2
    box_top = bottom - _GAP - 3
    for n, (title, *figures) in enumerate(boxes):
        x = _LEFT + n * (box_width + 8 * _MM)
        page.text(x + 2, box_top - 13, title, _BOX_TITLE)
        page.hline(x, x + box_width, box_top - 18, 0.3, _RULE)
        for m, (label, value) in enumerate(figures):
            baseline = box_top - 30 - 16.8 * m
            page.text(x + 2, baseline, label, _BODY)
            page.text_right(x + box_width - 2, baseline, value, _BODY)
    pages.y = box_top - 54.6


def render_pdf(inp: PayslipDocumentInput) -> bytes:
    """Render the payslip as a PDF lönespecifikation; same input, same bytes."""
    created = _creation_date(inp)
    pages = _Pages(inp, created)
    _header(pages, inp)
    _employee_block(pages, inp)
    _lines_table(pages, inp)
    _totals_and_year(pages, inp)
    info = PdfInfo(
        title=f"Lönespecifikation {format_period_sv(inp.period)}",
        author=inp.employer.name,
        subject="Lönespecifikation",
        creator=inp.source_system,
        created=created.strftime("D:%Y%m%d%H%M%S+00'00'"),
        language="sv-SE",
    )
    return write_pdf(pages.pages, _FONTS, info)
