"""The PDF lönespecifikation: what it says, and that it is reproducible."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from backend.payroll.documents import (
    PayslipDocumentInput,
    PayslipLine,
    format_amount,
    render_pdf,
)
from backend.payroll.documents_sample import sample_payslip_input

NBSP = "\u00a0"
KIVRA_PDF_BUDGET = 700 * 1024


@pytest.fixture(scope="module")
def sample() -> PayslipDocumentInput:
    return sample_payslip_input()


@pytest.fixture(scope="module")
def sample_pdf(sample: PayslipDocumentInput) -> bytes:
    return render_pdf(sample)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Grouping spaces are no-break spaces; compare on plain spaces.
    return "\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ")


def test_render_pdf_is_a_pdf_within_kivras_budget(sample_pdf: bytes) -> None:
    assert sample_pdf.startswith(b"%PDF-")
    assert len(sample_pdf) < KIVRA_PDF_BUDGET
    assert len(PdfReader(io.BytesIO(sample_pdf)).pages) == 1


def test_render_pdf_twice_gives_identical_bytes(
    sample: PayslipDocumentInput, sample_pdf: bytes
) -> None:
    again = render_pdf(
        msgspec.convert(msgspec.to_builtins(sample), PayslipDocumentInput)
    )
    assert again == sample_pdf


def test_render_pdf_changes_when_the_payslip_changes(
    sample: PayslipDocumentInput, sample_pdf: bytes
) -> None:
    changed = msgspec.structs.replace(sample, net_pay=sample.net_pay + Decimal("0.01"))
    assert render_pdf(changed) != sample_pdf


def test_render_pdf_reads_like_a_swedish_payslip(
    sample: PayslipDocumentInput, sample_pdf: bytes
) -> None:
    text = _text(sample_pdf)

    for expected in [
        "Lönespecifikation",
        "Björkdalens Snickeri AB",
        "Org.nr 556677-8899",
        "Löneperiod: november 2026",
        "Utbetalningsdag: 25 november 2026",
        "Åsa Öberg",
        "Personnummer",
        "19121212-1212",
        "Skattetabell",
        "33, kolumn 1",
        "Antal",
        "À-pris",
        "Belopp",
        "Övertid enkel",
        "312,00",
        "1 248,00",
        "Sjukavdrag dag 2–14",
        "-2 544,80",
        "Bruttolön",
        "33 930,70 kr",
        "Preliminär skatt",
        "-9 871,00 kr",
        "Att utbetala",
        "23 639,70 kr",
        "Hittills i år",
        "372 846,20 kr",
        "107 322,00 kr",
        "Kvarvarande semesterdagar",
        "18,50",
    ]:
        assert expected in text, expected
    for line in sample.lines:
        assert line.description in text
        assert format_amount(line.amount).replace(NBSP, " ") in text


def test_render_pdf_takes_its_dates_from_the_input(sample_pdf: bytes) -> None:
    metadata = PdfReader(io.BytesIO(sample_pdf)).metadata
    assert metadata is not None
    assert metadata.creation_date == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert metadata.title == "Lönespecifikation november 2026"


def test_render_pdf_without_issue_time_uses_the_pay_date(
    sample: PayslipDocumentInput,
) -> None:
    pdf = render_pdf(msgspec.structs.replace(sample, issued_at=None))
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.creation_date == datetime(2026, 11, 25, tzinfo=UTC)


def test_render_pdf_masks_the_personnummer_for_protected_identity(
    sample: PayslipDocumentInput,
) -> None:
    employee = msgspec.structs.replace(sample.employee, protected_identity=True)
    text = _text(render_pdf(msgspec.structs.replace(sample, employee=employee)))
    assert "19121212-****" in text
    assert "1212121212" not in text.replace("-", "")


def test_render_pdf_labels_a_samordningsnummer(sample: PayslipDocumentInput) -> None:
    employee = msgspec.structs.replace(
        sample.employee, personnummer="198506759821", id_kind="samordningsnummer"
    )
    text = _text(render_pdf(msgspec.structs.replace(sample, employee=employee)))
    assert "Samordningsnummer" in text
    assert "19850675-9821" in text


def test_render_pdf_of_a_long_payslip_spans_pages_and_stays_small(
    sample: PayslipDocumentInput,
) -> None:
    lines = tuple(
        PayslipLine(
            kind="earning",
            code=f"{700 + n}",
            description=f"Timlön projekt {n} & <övrigt>",
            quantity=Decimal("7.5"),
            unit="tim",
            unit_price=Decimal("245.10"),
            amount=Decimal("1838.25"),
        )
        for n in range(150)
    )
    pdf = render_pdf(msgspec.structs.replace(sample, lines=lines))
    reader = PdfReader(io.BytesIO(pdf))

    assert len(reader.pages) > 1
    second_page = reader.pages[1].extract_text()
    assert "Lönespecifikation november 2026 · Åsa Öberg (forts.)" in second_page
    assert "Sida 2" in second_page
    assert len(pdf) < KIVRA_PDF_BUDGET
    text = _text(pdf)
    assert "Timlön projekt 149 & <övrigt>" in text
    assert "23 639,70 kr" in text


def test_render_pdf_of_a_sole_trader_without_orgnr_prints_no_org_number(
    sample: PayslipDocumentInput,
) -> None:
    employer = msgspec.structs.replace(sample.employer, orgnr="")
    text = _text(render_pdf(msgspec.structs.replace(sample, employer=employer)))
    assert "Björkdalens Snickeri AB" in text
    assert "Org.nr" not in text


def test_render_pdf_reads_a_naive_issue_time_as_utc(
    sample: PayslipDocumentInput, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bytes must not depend on the machine's time zone."""
    naive = datetime(2026, 11, 20, 9, 30)  # noqa: DTZ001 - the case under test
    monkeypatch.setenv("TZ", "Europe/Stockholm")
    time.tzset()
    try:
        pdf = render_pdf(msgspec.structs.replace(sample, issued_at=naive))
    finally:
        monkeypatch.undo()
        time.tzset()
    assert pdf == render_pdf(sample)


def test_render_pdf_is_well_formed_with_standard_fonts(sample_pdf: bytes) -> None:
    """A strict reader finds every object where the cross-reference table says."""
    reader = PdfReader(io.BytesIO(sample_pdf), strict=True)
    page = reader.pages[0]
    assert [float(v) for v in page.mediabox] == pytest.approx([0, 0, 595.28, 841.89])
    fonts = page["/Resources"]["/Font"]
    assert sorted(font["/BaseFont"] for font in fonts.values()) == [
        "/Helvetica",
        "/Helvetica-Bold",
    ]
    for font in fonts.values():
        assert font["/Encoding"] == "/WinAnsiEncoding"
        assert "/FontFile" not in font
    assert reader.trailer["/ID"][0] == reader.trailer["/ID"][1]
    assert reader.trailer["/Root"]["/Lang"] == "sv-SE"


def test_render_pdf_prints_letters_outside_winansi_as_their_base_letters(
    sample: PayslipDocumentInput,
) -> None:
    employee = msgspec.structs.replace(sample.employee, name="Łukasz Şahin")
    text = _text(render_pdf(msgspec.structs.replace(sample, employee=employee)))
    assert "Lukasz Sahin" in text


def _placed_text(pdf: bytes) -> list[tuple[str, float, float]]:
    """Each piece of text on the first page with its x and y in points."""
    placed: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            placed.append((text.strip(), tm[4] + cm[4], tm[5] + cm[5]))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return placed


def test_render_pdf_wraps_a_description_too_wide_for_its_column(
    sample: PayslipDocumentInput,
) -> None:
    description = (
        "Retroaktiv lönejustering enligt nytt kollektivavtal för perioden "
        "april till och med oktober"
    )
    line = PayslipLine(
        kind="earning", code="190", description=description, amount=Decimal("850")
    )
    pdf = render_pdf(msgspec.structs.replace(sample, lines=(*sample.lines, line)))
    placed = _placed_text(pdf)
    code_x = next(x for text, x, _ in placed if text == "110")
    text_x = next(x for text, x, _ in placed if text == "Månadslön")
    parts = [(text, y) for text, x, y in placed if x == text_x and text in description]
    assert len(parts) == 2, parts
    assert " ".join(text for text, _ in parts) == description
    # The second half sits one line below the first, in the same column.
    assert parts[0][1] - parts[1][1] == pytest.approx(12)
    code_y = next(y for text, x, y in placed if text == "190" and x == code_x)
    assert parts[1][1] < code_y < parts[0][1]
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1


def test_render_pdf_wraps_a_long_employer_name_clear_of_the_title(
    sample: PayslipDocumentInput,
) -> None:
    name = "Björkdalens Snickeri och Byggnadsvård i Västerbotten Aktiebolag (publ)"
    employer = msgspec.structs.replace(sample.employer, name=name)
    placed = _placed_text(
        render_pdf(msgspec.structs.replace(sample, employer=employer))
    )
    title_x = next(x for text, x, _ in placed if text == "Lönespecifikation")
    left = next(x for text, x, _ in placed if text == "Storgatan 12")
    parts = [(text, y) for text, x, y in placed if x == left and text in name]
    assert len(parts) == 2, parts
    assert " ".join(text for text, _ in parts) == name
    room = title_x - left
    widths = [pdfmetrics.stringWidth(text, "Helvetica-Bold", 11) for text, _ in parts]
    assert max(widths) < room
    # The address follows below the name's second line, the heading below all.
    street_y = next(y for text, _, y in placed if text == "Storgatan 12")
    heading_y = next(y for text, _, y in placed if text == "Anställd")
    assert parts[1][1] - street_y == pytest.approx(12)
    assert heading_y < street_y - 36


def test_render_pdf_wraps_a_long_employee_name_in_its_row(
    sample: PayslipDocumentInput,
) -> None:
    name = (
        "Anna-Karin Margareta Elisabeth Charlotta Viktoria von Sydow-Lindqvist "
        "Öberg-Johansson af Klinteberg"
    )
    employee = msgspec.structs.replace(sample.employee, name=name)
    placed = _placed_text(
        render_pdf(msgspec.structs.replace(sample, employee=employee))
    )
    label_y = next(y for text, _, y in placed if text == "Anställd")
    parts = [(text, y) for text, _, y in placed if text and text in name]
    assert " ".join(text for text, _ in parts) == name
    assert len(parts) == 2
    # The label sits between the name's two lines; the next row below both.
    assert parts[1][1] < label_y < parts[0][1]
    next_y = next(y for text, _, y in placed if text == "Personnummer")
    assert next_y < parts[1][1]


def test_render_pdf_shortens_a_footer_that_would_run_into_the_page_number(
    sample: PayslipDocumentInput,
) -> None:
    employer = msgspec.structs.replace(
        sample.employer,
        name="Björkdalens Snickeri och Byggnadsvård i Västerbotten Aktiebolag",
        email="loneadministrationen@bjorkdalens-snickeri-och-byggnadsvard.example",
    )
    placed = _placed_text(
        render_pdf(msgspec.structs.replace(sample, employer=employer))
    )
    footer, footer_x, footer_y = next(p for p in placed if p[0].startswith("Björk"))
    page_x = next(x for text, x, y in placed if "Sida 1" in text and y == footer_y)
    assert footer.endswith("…")
    width = pdfmetrics.stringWidth(footer, "Helvetica", 7.5)
    assert footer_x + width < page_x


def test_render_pdf_gives_the_same_bytes_in_another_process(
    sample_pdf: bytes,
) -> None:
    """A resend after a restart, on another hash seed and time zone, matches."""
    script = (
        "import sys\n"
        "from backend.payroll.documents import render_pdf\n"
        "from backend.payroll.documents_sample import sample_payslip_input\n"
        "sys.stdout.buffer.write(render_pdf(sample_payslip_input()))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "TZ": "Asia/Tokyo"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, check=True
    )
    assert done.stdout == sample_pdf
