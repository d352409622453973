"""The small HTML summary of a payslip, for Kivra's responsive view and Min lön.

Kivra archives what it receives and shows it unchanged for years, so the
summary is one self-contained page: no script, no external stylesheet, font,
image or link, no tracking, only a `<style>` element and escaped text. It
shows the key figures (what is paid, when, gross, tax, vacation days left)
and leaves the details to the PDF. The personnummer is always masked here.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from backend.payroll.documents_format import (
    format_date_sv,
    format_number,
    format_period_sv,
    format_personnummer,
    format_sek,
)
from backend.payroll.documents_input import PayslipDocumentInput

_STYLE = """
body{margin:0;background:#f5f7fa;color:#1f2933;
font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;line-height:1.4}
main{max-width:32rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:.75rem;padding:1.25rem;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.25rem;margin:0 0 .25rem}
.muted{color:#52606d;font-size:.875rem;margin:0}
.net{margin:1.25rem 0;padding:1rem;border-radius:.5rem;background:#eef6f1}
.net p{margin:0}
.net .amount{font-size:2rem;font-weight:700;white-space:nowrap}
table{width:100%;border-collapse:collapse;margin-top:.5rem}
th,td{padding:.4rem 0;border-bottom:1px solid #e4e7eb;text-align:left;font-weight:400}
td{text-align:right;white-space:nowrap}
h2{font-size:1rem;margin:1.25rem 0 0}
footer{margin-top:1.25rem}
"""


def _row(label: str, value: str) -> str:
    return f'<tr><th scope="row">{escape(label)}</th><td>{escape(value)}</td></tr>'


def render_html(inp: PayslipDocumentInput) -> str:
    """Render the payslip's key figures as a self-contained Swedish HTML page."""
    period = format_period_sv(inp.period)
    employee = inp.employee
    id_label = (
        "Samordningsnummer"
        if employee.id_kind == "samordningsnummer"
        else "Personnummer"
    )
    year = inp.pay_date.year
    deductions = sum(
        (line.amount for line in inp.lines if line.kind == "deduction"), Decimal(0)
    )
    summary_rows = [
        _row("Bruttolön", format_sek(inp.gross_pay)),
        _row("Preliminär skatt", format_sek(-inp.preliminary_tax)),
    ]
    if deductions:
        # Without this row the reader cannot get from gross to net.
        summary_rows.append(_row("Avdrag efter skatt", format_sek(deductions)))
    summary_rows.append(_row("Att utbetala", format_sek(inp.net_pay)))
    summary = "".join(summary_rows)
    year_rows = "".join(
        [
            _row(f"Bruttolön {year}", format_sek(inp.ytd_gross)),
            _row(f"Preliminär skatt {year}", format_sek(inp.ytd_tax)),
        ]
    )
    vacation_rows = "".join(
        [
            _row("Betalda semesterdagar", format_number(inp.vacation_days_paid)),
            _row(
                "Kvarvarande semesterdagar", format_number(inp.vacation_days_remaining)
            ),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="sv">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Lönebesked {escape(period)}</title>\n"
        f'<style>{_STYLE}</style>\n</head>\n<body>\n<main>\n<div class="card">\n'
        f"<h1>Lönebesked {escape(period)}</h1>\n"
        f'<p class="muted">{escape(inp.employer.name)}</p>\n'
        f'<p class="muted">{escape(employee.name)}, {escape(id_label.lower())} '
        f"{escape(format_personnummer(employee.personnummer, masked=True))}</p>\n"
        '<div class="net">\n<p>Att utbetala</p>\n'
        f'<p class="amount">{escape(format_sek(inp.net_pay))}</p>\n'
        f"<p>Utbetalas {escape(format_date_sv(inp.pay_date))}</p>\n</div>\n"
        f"<table>{summary}</table>\n"
        f"<h2>Hittills i år</h2>\n<table>{year_rows}</table>\n"
        f"<h2>Semester</h2>\n<table>{vacation_rows}</table>\n"
        '<footer class="muted">Hela lönespecifikationen med alla lönerader finns i '
        "den bifogade PDF-filen.</footer>\n"
        "</div>\n</main>\n</body>\n</html>\n"
    )
