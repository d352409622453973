"""The frozen Kivra body of a payslip: the same document gives the same bytes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import msgspec
import pytest

from backend.delivery.outbox import build_payslip_body, payslip_subject
from backend.kivra.errors import KivraValidationError
from backend.payroll.documents import build_salary_slip, render_html, render_pdf
from backend.payroll.documents_sample import sample_payslip_input
from backend.payroll.models import PayslipDocument

SSN = "191212121212"


@pytest.fixture(scope="module")
def document() -> PayslipDocument:
    sample = sample_payslip_input()
    slip = build_salary_slip(sample, datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    return PayslipDocument(
        payslip_id=1,
        pdf=render_pdf(sample),
        salary_slip=msgspec.json.encode(slip).decode(),
        html=render_html(sample),
        sha256="",
    )


def _body(document: PayslipDocument, *, retain: bool = False, ssn: str = SSN) -> bytes:
    return build_payslip_body(
        ssn=ssn,
        period="2026-11",
        pay_date=date(2026, 11, 25),
        document=document,
        retain=retain,
    )


def test_outbox_body_is_byte_identical_when_built_again(
    document: PayslipDocument,
) -> None:
    assert _body(document) == _body(document)


def test_outbox_body_is_a_salaryslip_without_personal_data_in_the_subject(
    document: PayslipDocument,
) -> None:
    body = json.loads(_body(document))
    assert body["type"] == "salaryslip"
    assert body["ssn"] == SSN
    assert body["subject"] == payslip_subject("2026-11") == "Lönebesked 2026-11"
    assert body["parts"][0]["content_type"] == "application/pdf"
    assert body["parts"][0]["responsive_part"]["content_type"] == "text/html"
    assert "retain" not in body


def test_outbox_retained_body_asks_kivra_to_keep_it_390_days(
    document: PayslipDocument,
) -> None:
    body = json.loads(_body(document, retain=True))
    assert body["retain"] is True
    assert body["retention_time"] == "390"


def test_outbox_refuses_a_personnummer_with_a_wrong_check_digit(
    document: PayslipDocument,
) -> None:
    with pytest.raises(KivraValidationError):
        _body(document, ssn="191212121213")
