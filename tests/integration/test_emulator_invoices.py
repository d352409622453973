"""The emulator's invoice checks over HTTP: each bad invoice answers its Kivra code.

Kivra's order is kept: schema, type for the recipient kind (40012), then
payable and an option (40000), amount (40042), reference and OCR (40044),
bank account (40021), a company's invoice object (40000), and retain (42221).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from backend.kivra.errors import KivraBadRequestError
from backend.kivra_factory import kivra_client
from backend.settings import Settings
from tests.emulator_fixtures import EmulatorHandle, KivraTestClient

SSN = "191212121212"
VAT = "SE556840226601"
PDF = "JVBERi0xLjQK"  # "%PDF-1.4\n"
BANKGIRO = "123-4566"
PLUSGIRO = "456-9992"
OCR = "426523791"  # a valid mod-10 check digit
OCR_BAD_DIGIT = "426523792"


def person_invoice() -> dict[str, Any]:
    return {
        "ssn": SSN,
        "subject": "Faktura 2026-1001",
        "type": "invoice",
        "generated_at": "2026-12-04",
        "parts": [
            {"name": "faktura.pdf", "data": PDF, "content_type": "application/pdf"}
        ],
        "payment_multiple_options": {
            "payable": True,
            "currency": "SEK",
            "method": "1",
            "account": BANKGIRO,
            "options": [
                {
                    "due_date": "2026-12-31",
                    "amount": "1250.00",
                    "type": "SE_OCR",
                    "reference": OCR,
                }
            ],
        },
    }


def company_invoice(kind: str = "accounting.invoice") -> dict[str, Any]:
    return {
        "vat_number": VAT,
        "subject": "Faktura 2026-1002",
        "type": kind,
        "generated_at": "2026-12-04",
        "parts": [
            {"name": "faktura.pdf", "data": PDF, "content_type": "application/pdf"}
        ],
        "invoice": {
            "invoice_number": "2026-1002",
            "total_amount_due": "1250.00",
            "currency": "SEK",
            "due_date": "2026-12-31",
            "bankgiro": BANKGIRO,
            "payment_reference": {"value": OCR, "reference_type": "ocr"},
        },
    }


Change = Callable[[dict[str, Any]], object]


def changed(base: Callable[[], dict[str, Any]], *changes: Change) -> dict[str, Any]:
    body = copy.deepcopy(base())
    for change in changes:
        change(body)
    return body


def pmo(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = body["payment_multiple_options"]
    return value


def option(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = pmo(body)["options"][0]
    return value


def invoice(body: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = body["invoice"]
    return value


@pytest.fixture
def tenant(kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle) -> str:
    kivra_emulator.operator.seed_recipient(SSN, "active")
    kivra_emulator.operator.seed_recipient(VAT, "active")
    return kivra_api.create_tenant()


def _code(response: Any) -> int:
    return int(str(response.json()["code"]))


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(person_invoice(), id="person-invoice"),
        pytest.param(
            changed(person_invoice, lambda b: b.update(type="invoice.reminder")),
            id="person-reminder",
        ),
        pytest.param(
            changed(
                person_invoice,
                lambda b: pmo(b).update(method="2", account=PLUSGIRO),
                lambda b: option(b).update(
                    type="TENANT_REF", reference="Kund 42 / 1001"
                ),
            ),
            id="plusgiro-free-reference",
        ),
        pytest.param(company_invoice(), id="company-invoice"),
        pytest.param(
            company_invoice("accounting.invoicereminder"), id="company-reminder"
        ),
        pytest.param(
            changed(
                lambda: company_invoice("accounting.invoicecreditnote"),
                lambda b: invoice(b).pop("due_date"),
                lambda b: invoice(b).pop("bankgiro"),
                lambda b: invoice(b).update(total_amount_due="-1250.00"),
            ),
            id="company-credit-note-without-due-date",
        ),
    ],
)
def test_emulator_accepts_a_well_formed_invoice(
    kivra_api: KivraTestClient, tenant: str, body: dict[str, Any]
) -> None:
    response = kivra_api.send(tenant, body)
    assert response.status_code == 201, response.text
    assert kivra_api.problems == []


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(
            changed(person_invoice, lambda b: b.update(type="accounting.invoice")),
            400,
            40012,
            id="company-type-to-person",
        ),
        pytest.param(
            changed(person_invoice, lambda b: b.pop("payment_multiple_options")),
            400,
            40000,
            id="no-payment-options",
        ),
        pytest.param(
            changed(person_invoice, lambda b: pmo(b).update(options=[])),
            400,
            40000,
            id="no-option",
        ),
        pytest.param(
            changed(person_invoice, lambda b: option(b).update(amount="1 234,50")),
            400,
            40042,
            id="amount-with-space-and-comma",
        ),
        pytest.param(
            changed(person_invoice, lambda b: option(b).update(amount="0.99")),
            400,
            40042,
            id="amount-below-1",
        ),
        pytest.param(
            changed(
                person_invoice,
                lambda b: option(b).update(type="TENANT_REF", reference="R" * 26),
            ),
            400,
            40044,
            id="reference-over-25",
        ),
        pytest.param(
            changed(person_invoice, lambda b: option(b).update(reference="12AB34")),
            400,
            40044,
            id="ocr-not-digits",
        ),
        pytest.param(
            changed(person_invoice, lambda b: pmo(b).update(account="123-4567")),
            400,
            40021,
            id="bankgiro-check-digit",
        ),
        pytest.param(
            changed(person_invoice, lambda b: pmo(b).update(account="12345")),
            400,
            40021,
            id="bankgiro-too-short",
        ),
        pytest.param(
            changed(
                person_invoice, lambda b: pmo(b).update(method="2", account="456-9999")
            ),
            400,
            40021,
            id="plusgiro-check-digit",
        ),
        pytest.param(
            changed(
                person_invoice,
                lambda b: option(b).update(amount="0"),
                lambda b: pmo(b).update(account="123-4567"),
            ),
            400,
            40042,
            id="amount-before-account",
        ),
        pytest.param(
            changed(company_invoice, lambda b: b.pop("invoice")),
            400,
            40000,
            id="company-without-invoice-object",
        ),
        pytest.param(
            changed(company_invoice, lambda b: invoice(b).pop("due_date")),
            400,
            40000,
            id="company-without-due-date",
        ),
        pytest.param(
            changed(company_invoice, lambda b: invoice(b).pop("bankgiro")),
            400,
            40000,
            id="company-without-giro",
        ),
        pytest.param(
            changed(company_invoice, lambda b: invoice(b).pop("total_amount_due")),
            400,
            40000,
            id="company-without-total",
        ),
        pytest.param(
            changed(
                company_invoice,
                lambda b: invoice(b).update(total_amount_due="1 250,00"),
            ),
            400,
            40042,
            id="company-amount-malformed",
        ),
        pytest.param(
            changed(company_invoice, lambda b: invoice(b).update(bankgiro="5050-1056")),
            400,
            40021,
            id="company-bankgiro-check-digit",
        ),
        pytest.param(
            changed(person_invoice, lambda b: b.update(retain=True)),
            422,
            42221,
            id="retain-on-invoice",
        ),
    ],
)
def test_emulator_rejects_a_bad_invoice_with_its_code(  # noqa: PLR0917 - fixtures and params
    kivra_api: KivraTestClient,
    kivra_emulator: EmulatorHandle,
    tenant: str,
    body: dict[str, Any],
    status: int,
    code: int,
) -> None:
    response = kivra_api.send(tenant, body)
    assert response.status_code == status, response.text
    assert _code(response) == code
    assert kivra_emulator.operator.contents() == []
    assert kivra_api.problems == []


def test_emulator_ocr_luhn_check_is_off_until_the_operator_turns_it_on(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    """Kivra's own example OCR fails Luhn, so the check is opt-in."""
    body = changed(person_invoice, lambda b: option(b).update(reference=OCR_BAD_DIGIT))
    assert kivra_api.send(tenant, body).status_code == 201

    checks = kivra_emulator.operator.set_payment_checks(ocr_luhn=True)
    assert checks == {"ocr_luhn": True, "giro_check_digit": True}
    other = {**body, "subject": "Faktura 2026-1003"}
    refused = kivra_api.send(tenant, other)
    assert refused.status_code == 400
    assert _code(refused) == 40044
    good = changed(person_invoice, lambda b: b.update(subject="Faktura 2026-1004"))
    assert kivra_api.send(tenant, good).status_code == 201
    assert len(kivra_emulator.operator.contents()) == 2


def test_emulator_giro_check_digit_can_be_turned_off_for_the_spec_examples(
    kivra_api: KivraTestClient, kivra_emulator: EmulatorHandle, tenant: str
) -> None:
    body = changed(person_invoice, lambda b: pmo(b).update(account="12345"))
    assert _code(kivra_api.send(tenant, body)) == 40021
    kivra_emulator.operator.set_payment_checks(giro_check_digit=False)
    assert kivra_api.send(tenant, body).status_code == 201
    # Digits only is still required.
    letters = changed(person_invoice, lambda b: pmo(b).update(account="BG 12345"))
    assert _code(kivra_api.send(tenant, letters)) == 40021


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        (lambda b: pmo(b).update(account="123-4567"), 40021, "bankgiro"),
        (lambda b: option(b).update(amount="1 234,50"), 40042, "belopp"),
        (lambda b: option(b).update(reference="12AB"), 40044, "referensen"),
    ],
    ids=["giro", "amount", "reference"],
)
async def test_client_reports_a_refused_invoice_in_plain_swedish(
    kivra_emulator: EmulatorHandle,
    tenant: str,
    change: Change,
    code: int,
    words: str,
) -> None:
    """The Kivra client turns the emulator's invoice codes into an admin's words."""
    settings = Settings(
        kivra_base_url=kivra_emulator.base_url,
        kivra_client_id=kivra_emulator.client_id,
        kivra_client_secret=kivra_emulator.client_secret,
        kivra_retry_attempts=1,
    )
    body = json.dumps(changed(person_invoice, change)).encode()
    async with kivra_client(settings) as kivra:
        with pytest.raises(KivraBadRequestError) as caught:
            await kivra.send_content_bytes(tenant, body)
    assert caught.value.code == code
    assert words in caught.value.message_sv
    assert caught.value.message_en
