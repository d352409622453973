"""Content bodies: built once, deterministic, checked before they are sent."""

from __future__ import annotations

import base64
from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from backend.kivra import spec
from backend.kivra.content import (
    MAX_CONTENT_BYTES,
    build_content_body,
    pdf_part,
    salaryslip_content,
    validate_salary_slip,
)
from backend.kivra.errors import KivraValidationError
from backend.kivra.models import (
    CompanyContent,
    CompanyInvoice,
    FlexibleOption,
    PaymentMultipleOptions,
    PaymentOption,
    PaymentReference,
    UserContent,
)

PDF = b"%PDF-1.7\n% a tiny stand-in payslip\n%%EOF\n"


def example_salary_slip(**pay_period: Any) -> dict[str, Any]:
    """A hand-built salary slip for a fake employer, valid against Kivra's schema."""
    period = {
        "start_date": "2026-11-01",
        "end_date": "2026-11-30",
        "payout_date": "2026-11-25",
        "gross_pay": {"monetary_amount": "32000.00", "currency": "SEK"},
        "tax_deducted": {"monetary_amount": "7100.00", "currency": "SEK"},
        "net_pay": {"monetary_amount": "24900.00", "currency": "SEK"},
    }
    period.update(pay_period)
    return {
        "document_metadata": {
            "creation_timestamp": "2026-11-20T08:00:00Z",
            "source_system": "Kivra i Lön",
        },
        "employment": {
            "employer": {
                "legal_name": "Testbolaget Lön AB",
                "legal_identifiers": {
                    "vat_number": "SE556840226601",
                    "org_number": "556840-2266",
                },
                "contact_information": {
                    "address": {
                        "street_address": "Exempelgatan 1",
                        "postal_code": "111 22",
                        "city": "Stockholm",
                        "country": "Sverige",
                    },
                    "email_address": "lon@testbolaget.example",
                    "telephone_number": "08-123 456",
                },
            }
        },
        "pay_period": period,
        "yearly_accumulated_gross_pay": {
            "monetary_amount": "352000.00",
            "currency": "SEK",
        },
        "yearly_accumulated_taxes": {"monetary_amount": "78100.00", "currency": "SEK"},
    }


def example_payslip(**overrides: Any) -> UserContent:
    arguments: dict[str, Any] = {
        "ssn": "19121212-1212",
        "subject": "Lönebesked november 2026",
        "generated_at": date(2026, 11, 20),
        "pdf": PDF,
        "salaryslip": example_salary_slip(),
        "html": "<h1>Lön 24 900 kr</h1>",
    }
    arguments.update(overrides)
    return salaryslip_content(**arguments)


def example_payment(**overrides: Any) -> PaymentMultipleOptions:
    fields: dict[str, Any] = {
        "payable": True,
        "currency": "SEK",
        "account": "5050-1055",
        "method": "1",
        "options": [
            PaymentOption(
                due_date="2026-12-31",
                amount="450.00",
                type="SE_OCR",
                reference="4265237910",
            )
        ],
    }
    fields.update(overrides)
    return PaymentMultipleOptions(**fields)


def decoded(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = msgspec.json.decode(body)
    return value


def test_payslip_body_is_valid_against_kivras_spec() -> None:
    body = decoded(build_content_body(example_payslip(retain=True)))
    assert spec.validate_content(body) == []
    assert spec.validate_salary_slip(body["salaryslip"]) == []
    assert body["type"] == "salaryslip"
    assert body["ssn"] == "191212121212"
    assert body["retain"] is True
    assert body["retention_time"] == "390"
    part = body["parts"][0]
    assert base64.b64decode(part["data"]) == PDF
    assert part["content_type"] == "application/pdf"
    assert part["responsive_part"]["content_type"] == "text/html"


def test_payslip_body_is_deterministic_bytes() -> None:
    """The same payslip encodes to the same bytes, whatever the dict order."""
    slip = example_salary_slip()
    reordered = dict(reversed(list(slip.items())))
    first = build_content_body(example_payslip(salaryslip=slip))
    second = build_content_body(example_payslip(salaryslip=reordered))
    assert first == second
    # Canonical form: sorted keys and no whitespace between tokens.
    assert first == msgspec.json.encode(msgspec.json.decode(first), order="sorted")


def test_payslip_without_retain_leaves_retention_off_the_wire() -> None:
    body = decoded(build_content_body(example_payslip(html=None)))
    assert "retain" not in body
    assert "retention_time" not in body
    assert "responsive_part" not in body["parts"][0]
    assert spec.validate_content(body) == []


def test_letter_salary_is_refused_as_deprecated() -> None:
    content = UserContent(
        ssn="191212121212",
        subject="Lönebesked",
        type="letter.salary",
        parts=[pdf_part(PDF, name="lonebesked.pdf")],
    )
    with pytest.raises(KivraValidationError) as info:
        build_content_body(content)
    assert "salaryslip" in info.value.message_sv
    assert info.value.field == "type"


def test_retain_is_refused_for_types_kivra_does_not_retain() -> None:
    content = UserContent(
        ssn="191212121212",
        subject="Information",
        type="letter",
        retain=True,
        parts=[pdf_part(PDF, name="brev.pdf")],
    )
    with pytest.raises(KivraValidationError) as info:
        build_content_body(content)
    assert info.value.field == "retain"


def test_salary_slip_schema_violation_names_the_path_not_the_value() -> None:
    slip = example_salary_slip(
        gross_pay={"monetary_amount": "32 000", "currency": "SEK"}
    )
    with pytest.raises(KivraValidationError) as info:
        validate_salary_slip(slip)
    assert "pay_period/gross_pay/monetary_amount" in info.value.message_sv
    assert "32 000" not in str(info.value)


@pytest.mark.parametrize(
    ("telephone", "valid"),
    [
        ("08-123 456", True),
        ("+46 70-123 45 67", True),
        ("+358 9 123 456", True),
        ("+3581 9 123 456", True),
        ("+0 70 123", False),
        ("(08) 123 456", False),
        ("08-123 456 ", False),
        ("", False),
    ],
)
def test_salary_slip_telephone_pattern_is_read_as_kivras_schema_says(
    telephone: str, valid: bool
) -> None:
    """The fast check and the schema's own reading agree on the one quantifier
    the compiled validator needs spelled out ("{,2}")."""
    slip = example_salary_slip()
    slip["employment"]["employer"]["contact_information"]["telephone_number"] = (
        telephone
    )
    assert (spec.validate_salary_slip(slip) == []) is valid
    if valid:
        validate_salary_slip(slip)
    else:
        with pytest.raises(KivraValidationError) as info:
            validate_salary_slip(slip)
        assert "telephone_number" in info.value.message_en


def test_salary_slip_rejects_unknown_fields() -> None:
    slip = example_salary_slip()
    slip["employee_name"] = "Tolvan Tolvansson"
    with pytest.raises(KivraValidationError):
        build_content_body(example_payslip(salaryslip=slip))


def test_body_over_one_megabyte_is_refused() -> None:
    big_pdf = b"0" * (MAX_CONTENT_BYTES * 3 // 4)
    with pytest.raises(KivraValidationError) as info:
        build_content_body(example_payslip(pdf=big_pdf))
    assert info.value.field == "body"


def test_exactly_one_person_recipient_is_required() -> None:
    both = UserContent(
        ssn="191212121212",
        email="tolvan@example.com",
        subject="Brev",
        type="letter",
    )
    with pytest.raises(KivraValidationError):
        build_content_body(both)
    with pytest.raises(KivraValidationError):
        build_content_body(UserContent(subject="Brev", type="letter"))


def test_ssn_must_be_normalised_in_a_hand_built_content() -> None:
    content = UserContent(ssn="19121212-1212", subject="Brev", type="letter")
    with pytest.raises(KivraValidationError):
        build_content_body(content)


def test_person_invoice_is_valid_against_kivras_spec() -> None:
    content = UserContent(
        ssn="191212121212",
        subject="Faktura december",
        type="invoice",
        generated_at="2026-12-01",
        parts=[pdf_part(PDF, name="faktura.pdf")],
        payment_multiple_options=example_payment(
            swish_alias="1231231234",
            flexible_option=FlexibleOption(
                due_date="2026-12-31",
                type="SE_OCR",
                reference="4265237911",
                max_limit="900",
            ),
        ),
    )
    body = decoded(build_content_body(content))
    assert spec.validate_content(body) == []
    assert body["payment_multiple_options"]["payable"] is True
    assert body["payment_multiple_options"]["currency"] == "SEK"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"payable": False}, "payment_multiple_options"),
        ({"currency": "EUR"}, "payment_multiple_options"),
        ({"swish_alias": ""}, "payment_multiple_options/swish_alias"),
        ({"options": []}, "payment_multiple_options"),
        (
            {
                "options": [
                    PaymentOption(
                        due_date="2026-12-31",
                        amount="0.99",
                        type="SE_OCR",
                        reference="1",
                    )
                ]
            },
            "payment_multiple_options/options/0",
        ),
        (
            {
                "options": [
                    PaymentOption(
                        due_date="2026-12-31",
                        amount="10",
                        type="TENANT_REF",
                        reference="R" * 26,
                    )
                ]
            },
            "payment_multiple_options/options/0",
        ),
        (
            {
                "options": [
                    PaymentOption(
                        due_date="2026-12-31", amount="10", type="SE_OCR", reference="7"
                    ),
                    PaymentOption(
                        due_date="2027-01-31",
                        amount="10.00",
                        type="SE_OCR",
                        reference="7",
                    ),
                ]
            },
            "payment_multiple_options/options/1",
        ),
    ],
)
def test_person_invoice_rules_are_enforced(
    overrides: dict[str, Any], field: str
) -> None:
    content = UserContent(
        ssn="191212121212",
        subject="Faktura",
        type="invoice",
        parts=[pdf_part(PDF, name="faktura.pdf")],
        payment_multiple_options=example_payment(**overrides),
    )
    with pytest.raises(KivraValidationError) as info:
        build_content_body(content)
    assert info.value.field == field


def test_company_invoice_is_valid_against_kivras_spec() -> None:
    content = CompanyContent(
        vat_number="SE556840226601",
        subject="Faktura till företag",
        type="accounting.invoice",
        parts=[pdf_part(PDF, name="faktura.pdf", html="<p>1 250 kr</p>")],
        invoice=CompanyInvoice(
            total_amount_due="1250.00",
            currency="SEK",
            due_date="2026-12-31",
            bankgiro="5050-1055",
            invoice_number="F-2026-001",
            payment_reference=PaymentReference(
                value="4265237910", reference_type="ocr"
            ),
        ),
    )
    body = decoded(build_content_body(content))
    assert spec.content_schema_name(body) == "Content_company"
    assert spec.validate_content(body) == []


def test_company_invoice_needs_due_date_and_giro() -> None:
    content = CompanyContent(
        vat_number="SE556840226601",
        subject="Faktura",
        type="accounting.invoice",
        invoice=CompanyInvoice(total_amount_due="1250.00", currency="SEK"),
    )
    with pytest.raises(KivraValidationError) as info:
        build_content_body(content)
    assert info.value.field == "invoice"


def test_company_content_requires_the_vat_form() -> None:
    content = CompanyContent(vat_number="5568402266", subject="Brev", type="letter")
    with pytest.raises(KivraValidationError):
        build_content_body(content)


def test_salary_slip_with_a_value_that_is_not_json_names_its_path() -> None:
    """A value the compiled validator cannot read gets the full check."""
    slip = example_salary_slip(
        gross_pay={"monetary_amount": Decimal("32000.00"), "currency": "SEK"}
    )
    with pytest.raises(KivraValidationError) as info:
        validate_salary_slip(slip)
    assert "(type vid pay_period/gross_pay/monetary_amount)" in info.value.message_sv
