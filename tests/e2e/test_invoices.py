"""Invoices in the browser: "Skicka via Kivra", the payment, and the scope's refusal.

Two companies of their own on the shared product (added with the product's
command line, as an operator would): Fakturabolaget AB, whose agreement
covers invoices, and Lönebolaget AB, whose agreement covers payslips only.
The tests of this module run in order: the payment follows the send.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from backend.invoices.bankdays import next_bank_day
from tests.e2e.conftest import (
    DEMO_PASSWORD,
    ROOT,
    ApiUser,
    Product,
    api_as,
    emulator,
    screenshot,
    sign_in,
)
from tests.payroll_fixtures import fake_orgnr, fake_personnummer

pytestmark = pytest.mark.e2e

BANKGIRO = "5050-1055"
PAYMENT_ROUTE = "/api/kivra/webhooks/payments"


@dataclass(frozen=True)
class Seller:
    """A company of this module, its admin and the invoice it sends."""

    name: str
    admin_email: str
    customer_ssn: str
    invoice_id: int
    invoice_number: str
    total: str
    # An invoice to a customer who is not in Kivra.
    fallback_number: str


def _kivra_lon(product: Product, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the product's command line against the running product's database."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{product.log_path.parent / 'product.sqlite3'}",
        "KIVRA_BASE_URL": product.emulator_url,
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "kivra-lon"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr


def _invoice(
    api: ApiUser, name: str, ssn: str, today: date, due: date
) -> dict[str, Any]:
    """Add a person as a customer and an invoice to them; return the invoice."""
    customer = api.client.post(
        api.company_path("/customers"),
        json={
            "kind": "person",
            "name": name,
            "personnummer": ssn,
            "email": "kund@kund.example",
            "street_address": "Kundgatan 2",
            "postal_code": "111 33",
            "city": "Stockholm",
        },
    )
    assert customer.status_code == 201, customer.text
    invoice = api.client.post(
        api.company_path("/invoices"),
        json={
            "customer_id": customer.json()["id"],
            "issue_date": today.isoformat(),
            "due_date": due.isoformat(),
            "lines": [
                {
                    "description": "Konsulttimmar",
                    "quantity": "2",
                    "unit_price": "950,00",
                }
            ],
        },
    )
    assert invoice.status_code == 201, invoice.text
    body: dict[str, Any] = invoice.json()
    return body


def _seller(product: Product, name: str, *, scopes: str, serial: int) -> Seller:
    """Add a company with an admin, its agreement, a Kivra-using customer and an invoice."""
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    due = next_bank_day(today + timedelta(days=30))
    orgnr = fake_orgnr()
    slug = name.split(maxsplit=1)[0].lower().replace("ö", "o")
    admin_email = f"admin@{slug}.example"
    _ok(
        _kivra_lon(
            product,
            "create-company",
            f"--name={name}",
            f"--orgnr={orgnr}",
            "--street-address=Fakturavägen 3",
            "--postal-code=111 22",
            "--city=Stockholm",
            f"--email=info@{slug}.example",
            "--phone=08-123 456 78",
        )
    )
    _ok(
        _kivra_lon(
            product,
            "create-user",
            f"--company={orgnr}",
            f"--email={admin_email}",
            "--name=Frida Fakturasson",
            "--role=admin",
            f"--password={DEMO_PASSWORD}",
        )
    )
    _ok(
        _kivra_lon(
            product, "approve-agreement", f"--company={orgnr}", f"--scopes={scopes}"
        )
    )
    ssn = fake_personnummer(serial)
    with emulator(product) as operator:
        operator.seed_recipient(ssn, "active")
    with api_as(product, admin_email) as api:
        settings = api.client.put(
            api.company_path("/invoice-settings"),
            json={
                "giro_kind": "bankgiro",
                "giro_number": BANKGIRO,
                "fallback": "email",
            },
        )
        assert settings.status_code == 200, settings.text
        invoice = _invoice(api, "Tolvan Kundsson", ssn, today, due)
        # Olle is not in Kivra: his invoice goes to the fallback, a notice by e-mail.
        fallback = _invoice(
            api, "Olle Utanför", fake_personnummer(serial + 100), today, due
        )
    return Seller(
        name=name,
        admin_email=admin_email,
        customer_ssn=ssn,
        invoice_id=invoice["id"],
        invoice_number=invoice["number"],
        total=invoice["total_amount"],
        fallback_number=fallback["number"],
    )


@pytest.fixture(scope="module")
def sellers(product: Product) -> dict[str, Seller]:
    """One company whose agreement covers invoices and one whose does not."""
    return {
        "invoices": _seller(
            product, "Fakturabolaget AB", scopes="payslips,invoices", serial=2601
        ),
        "payslips": _seller(product, "Lönebolaget AB", scopes="payslips", serial=2602),
    }


def _row(page: Page, seller: Seller) -> Locator:
    return page.locator(f"#invoice-row-{seller.invoice_id}")


def test_admin_sends_an_invoice_via_kivra_and_sees_it_delivered(
    page: Page, product: Product, sellers: dict[str, Seller]
) -> None:
    seller = sellers["invoices"]
    sign_in(page, product, seller.admin_email)
    page.get_by_role("link", name="Fakturor", exact=True).click()
    expect(page).to_have_url(re.compile(r"/fakturor"))
    row = _row(page, seller)
    expect(row).to_contain_text(seller.invoice_number)
    expect(row.locator(".invoice-outcome")).to_contain_text("Inte skickad")
    expect(page.locator("#invoices-scope-hint")).to_have_count(0)
    send = page.get_by_role("button", name="Skicka via Kivra")
    expect(send).to_be_disabled()
    page.get_by_role("checkbox", name=f"Välj faktura {seller.invoice_number}").click()
    expect(page.locator("#invoices-chosen")).to_have_text("1 valda")
    page.get_by_role("checkbox", name="Välj alla som kan skickas").click()
    expect(page.locator("#invoices-chosen")).to_have_text("2 valda")
    send.click()
    expect(page.locator("#invoices-sent")).to_have_text(
        "Klart – till Kivra: 1, avisering via e-post: 1.", timeout=30_000
    )
    expect(row.locator(".invoice-outcome")).to_contain_text("Levererad till Kivra")
    fallback_row = page.locator("#invoice-rows tbody tr").filter(
        has_text=seller.fallback_number
    )
    expect(fallback_row.locator(".invoice-outcome")).to_contain_text(
        "Avisering via e-post"
    )
    expect(
        page.get_by_role("checkbox", name=re.compile("^Välj faktura"))
    ).to_have_count(0)
    expect(row.locator(".invoice-payment")).to_contain_text("Obetald")
    screenshot(page, "invoices-sent")
    with page.expect_download() as download_info:
        row.get_by_role(
            "button", name=f"Ladda ner PDF för faktura {seller.invoice_number}"
        ).click()
    download = download_info.value
    assert download.suggested_filename == f"faktura-{seller.invoice_number}.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    page.locator("#language-en").click()
    expect(page.locator("#invoices-sent")).to_have_text(
        "Done – to Kivra: 1, notice by e-mail: 1."
    )
    expect(row.locator(".invoice-outcome")).to_contain_text("Delivered to Kivra")
    # Amounts the English way in English: "SEK 1,250.00", not "1 250,00 kr".
    expect(row).to_contain_text(f"SEK {Decimal(seller.total):,.2f}")
    expect(row).not_to_contain_text(" kr")

    with emulator(product) as operator:
        received = operator.received(seller.customer_ssn)
    assert [content["type"] for content in received] == ["invoice"]
    with api_as(product, seller.admin_email) as api:
        deliveries = api.client.get(
            api.company_path(f"/invoices/{seller.invoice_id}/deliveries")
        ).json()["items"]
    assert [(d["channel"], d["state"]) for d in deliveries] == [("kivra", "delivered")]


def _payment_webhooks_available(product: Product) -> bool:
    """Whether the product receives Kivra's payment webhooks (route and command)."""
    help_text = _kivra_lon(product, "--help").stdout
    return "register-payment-webhook" in help_text


def test_payment_webhook_marks_the_invoice_paid_on_the_page(
    page: Page, product: Product, sellers: dict[str, Seller]
) -> None:
    """Kivra reports the payment (a signed webhook); the list and the status page say paid."""
    if not _payment_webhooks_available(product):
        pytest.skip("the product has no payment webhook endpoint yet")
    seller = sellers["invoices"]
    _ok(
        _kivra_lon(
            product,
            "register-payment-webhook",
            f"--url={product.api_url}{PAYMENT_ROUTE}",
        )
    )
    with api_as(product, seller.admin_email) as api:
        deliveries = api.client.get(
            api.company_path(f"/invoices/{seller.invoice_id}/deliveries")
        ).json()["items"]
    content_key = deliveries[0]["content_key"]
    assert content_key
    # A part first: the invoice is partly paid until the rest comes in.
    with emulator(product) as operator:
        part = operator.emit_payment(
            content_key, payment_event="settled", amount="50.00"
        )
    assert [d["delivered"] for d in part["deliveries"]] == [True]
    sign_in(page, product, seller.admin_email)
    page.goto(f"{product.ui_url}/fakturor")
    expect(_row(page, seller).locator(".invoice-payment")).to_contain_text(
        "Delvis betald"
    )
    expect(
        page.locator('#invoice-payments .invoice-count[data-key="partially_paid"]')
    ).to_have_text("1")
    # The notice opens the invoice's month on Fakturor.
    page.goto(f"{product.ui_url}/notiser")
    notice = page.get_by_role(
        "link", name=f"Faktura {seller.invoice_number} är delvis betald"
    )
    month = datetime.now(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m")
    expect(notice.first).to_have_attribute("href", f"/fakturor?month={month}")
    notice.first.click()
    expect(page).to_have_url(re.compile(rf"/fakturor\?month={month}"))
    expect(_row(page, seller).locator(".invoice-payment")).to_contain_text(
        "Delvis betald"
    )

    rest = Decimal(seller.total) - Decimal("50.00")
    with emulator(product) as operator:
        emitted = operator.emit_payment(
            content_key, payment_event="settled", amount=f"{rest:.2f}"
        )
    assert [d["delivered"] for d in emitted["deliveries"]] == [True]

    page.goto(f"{product.ui_url}/fakturor")
    expect(_row(page, seller).locator(".invoice-payment")).to_contain_text("Betald")
    expect(
        page.locator('#invoice-payments .invoice-count[data-key="paid"]')
    ).to_have_text("1")
    screenshot(page, "invoices-paid")
    # On a phone the list scrolls inside its frame; the page itself does not.
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "invoices-paid-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{product.ui_url}/kivra/status?month={month}")
    section = page.locator("#status-invoices")
    expect(section).to_contain_text(seller.invoice_number)
    expect(
        section.locator('#status-invoice-outcomes .invoice-count[data-key="delivered"]')
    ).to_have_text("1")
    expect(
        section.locator('#status-invoice-payments .invoice-count[data-key="paid"]')
    ).to_have_text("1")
    screenshot(page, "status-page-invoices")
    page.locator("#language-en").click()
    expect(section).to_contain_text("Delivered to Kivra")
    expect(section).to_contain_text("Paid")
    expect(section).to_contain_text(f"SEK {Decimal(seller.total):,.2f}")


def test_admin_without_the_invoices_scope_sees_the_refusal_in_swedish(
    page: Page, product: Product, sellers: dict[str, Seller]
) -> None:
    seller = sellers["payslips"]
    sign_in(page, product, seller.admin_email)
    page.goto(f"{product.ui_url}/fakturor")
    expect(page.locator("#invoices-scope-hint")).to_contain_text(
        "omfattar inte fakturor"
    )
    page.get_by_role("checkbox", name=f"Välj faktura {seller.invoice_number}").click()
    page.get_by_role("button", name="Skicka via Kivra").click()
    refusal = page.locator("#invoices-not-approved")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(
        "Fakturor via Kivra är inte godkända: avtalet omfattar inte fakturor."
    )
    expect(page.locator("#approve-invoices-link")).to_have_attribute(
        "href", "/fler-losningar"
    )
    expect(_row(page, seller).locator(".invoice-outcome")).to_contain_text(
        "Inte skickad"
    )
    screenshot(page, "invoices-not-approved")
    with emulator(product) as operator:
        assert operator.received(seller.customer_ssn) == []
