"""The small responsive HTML summary of an invoice, for Kivra's responsive view.

Kivra shows this part as it is, for years, on any screen: no script, no
stylesheet or `<style>` element, no external font, image or link, no
tracking; every style is inline on its element. It shows what to pay, to
which giro with which reference and by when; the PDF holds the details. A
personnummer never appears here.
"""

from __future__ import annotations

from html import escape

from backend.invoices.documents_input import InvoiceDocumentInput
from backend.invoices.validation import format_giro
from backend.payroll.documents_format import format_date_sv, format_number, format_sek

_BODY = (
    "margin:0;padding:16px;background:#f5f7fa;color:#1f2933;"
    "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
    "line-height:1.4"
)
_CARD = (
    "max-width:32rem;margin:0 auto;background:#ffffff;border-radius:12px;"
    "padding:20px;box-shadow:0 1px 3px rgba(0,0,0,0.08)"
)
_H1 = "font-size:20px;margin:0 0 4px"
_MUTED = "color:#52606d;font-size:14px;margin:0"
_DUE = "margin:20px 0;padding:16px;border-radius:8px;background:#eef6f1"
_AMOUNT = "font-size:28px;font-weight:700;white-space:nowrap;margin:0"
_TABLE = "width:100%;border-collapse:collapse;margin-top:8px"
_TH = (
    "padding:6px 0;border-bottom:1px solid #e4e7eb;text-align:left;"
    "font-weight:400;color:#52606d"
)
_TD = "padding:6px 0;border-bottom:1px solid #e4e7eb;text-align:right"
_H2 = "font-size:16px;margin:20px 0 0"


def _row(label: str, value: str) -> str:
    return (
        f'<tr><th scope="row" style="{_TH}">{escape(label)}</th>'
        f'<td style="{_TD}">{escape(value)}</td></tr>'
    )


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(_row(label, value) for label, value in rows)
    return f'<table style="{_TABLE}">{body}</table>'


def _due_box(inp: InvoiceDocumentInput) -> str:
    if not inp.payable:
        label, note = "Att kreditera", "Kreditfakturan ska inte betalas."
    else:
        due = format_date_sv(inp.due_date) if inp.due_date else ""
        label, note = "Att betala", f"Senast {due}"
    return (
        f'<div style="{_DUE}"><p style="margin:0">{escape(label)}</p>'
        f'<p style="{_AMOUNT}">{escape(format_sek(inp.total_amount))}</p>'
        f'<p style="{_MUTED}">{escape(note)}</p></div>'
    )


def _payment_rows(inp: InvoiceDocumentInput) -> list[tuple[str, str]]:
    if not inp.payable:
        return []
    giro = f"{inp.giro_kind.capitalize()} {format_giro(inp.giro_kind, inp.giro_number)}"
    rows = [
        ("Betala till", giro),
        ("OCR-nummer" if inp.reference_kind == "SE_OCR" else "Referens", inp.reference),
    ]
    if inp.swish_alias:
        rows.append(("Swish", inp.swish_alias))
    return rows


def render_html(inp: InvoiceDocumentInput) -> str:
    """Render the invoice's key facts as one self-contained Swedish HTML page."""
    facts = [("Nummer", inp.number), ("Fakturadatum", inp.issue_date.isoformat())]
    if inp.original_number:
        facts.append(("Avser faktura", inp.original_number))
    facts += _payment_rows(inp)
    amounts = [
        (f"Moms {format_number(group.vat_rate)} %", format_sek(group.vat_amount))
        for group in inp.vat_groups
    ]
    amounts.insert(0, ("Summa exkl. moms", format_sek(inp.net_amount)))
    if inp.reminder_fee:
        amounts.append(("Påminnelseavgift", format_sek(inp.reminder_fee)))
    title = f"{inp.title} från {inp.seller.name}"
    return (
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title></head>"
        f'<body style="{_BODY}"><main style="{_CARD}">'
        f'<h1 style="{_H1}">{escape(title)}</h1>'
        f'<p style="{_MUTED}">Till {escape(inp.customer.name)}</p>'
        f"{_due_box(inp)}{_table(facts)}"
        f'<h2 style="{_H2}">Belopp</h2>{_table(amounts)}'
        f'<p style="{_MUTED};margin-top:20px">Hela fakturan finns i PDF-filen.</p>'
        "</main></body></html>"
    )
