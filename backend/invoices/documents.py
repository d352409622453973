"""Rendering an invoice's PDF and HTML once, when the invoice is created.

Both forms are stored in `invoice_documents` and never re-rendered, so that
what the customer received and what is resent are provably the same.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from backend.invoices.documents_html import render_html
from backend.invoices.documents_input import InvoiceDocumentInput
from backend.invoices.documents_pdf import render_pdf
from backend.invoices.models import Invoice, InvoiceDocument


def render_documents(
    session: Session, invoice: Invoice, inp: InvoiceDocumentInput
) -> None:
    """Render the PDF and HTML of a new invoice and store them with it."""
    pdf = render_pdf(inp)
    session.add(
        InvoiceDocument(
            invoice_id=invoice.id,
            pdf=pdf,
            html=render_html(inp),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )
    )
