"""Fler lösningar, the waiting state, ending Kivra and the moved-status notice.

The tests of this module run in order: the scope tests before ending Kivra
for the same company (Demobolaget AB).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Product, api_as, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_pending_company_shows_waiting_for_kivra(page: Page, product: Product) -> None:
    """A company whose Kivra access Kivra has not granted sees "Väntar på Kivra"."""
    sign_in(page, product, "admin@vantebolaget.example")
    page.goto(f"{product.ui_url}/fler-losningar")
    expect(page.locator("#card-badge")).to_have_text("Väntar på Kivra")
    screenshot(page, "fler-losningar-waiting")


def test_scopes_admin_changes_them(page: Page, product: Product) -> None:
    """An admin switches invoices on; the choice is saved at the API."""
    sign_in(page, product, "admin@demobolaget.example")
    page.goto(f"{product.ui_url}/fler-losningar")
    invoices = page.get_by_role("switch", name="Fakturor")
    expect(invoices).to_be_enabled()
    expect(invoices).not_to_be_checked()
    invoices.click()
    expect(invoices).to_be_checked()
    with api_as(product, "admin@demobolaget.example") as api:
        agreement = api.client.get(api.company_path("/agreement")).json()
    assert sorted(agreement["scopes"]) == ["invoices", "payslips"]
    screenshot(page, "fler-losningar-admin")


def test_scopes_clerk_cannot_change_them(page: Page, product: Product) -> None:
    """A payroll clerk sees the switches read-only, and why."""
    sign_in(page, product, "lon@demobolaget.example")
    page.goto(f"{product.ui_url}/fler-losningar")
    expect(page.get_by_role("switch", name="Lönebesked")).to_be_disabled()
    expect(page.get_by_role("switch", name="Fakturor")).to_be_disabled()
    expect(page.locator("#scopes-read-only")).to_contain_text("Endast administratörer")
    screenshot(page, "fler-losningar-clerk")


def test_end_kivra_then_sends_go_to_min_lon(page: Page, product: Product) -> None:
    """Ending Kivra asks first and says what it means; afterwards nothing goes to Kivra."""
    sign_in(page, product, "admin@demobolaget.example")
    page.goto(f"{product.ui_url}/kivra/status")
    page.get_by_role("button", name="Avsluta Kivra").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Kommande utskick går till Min lön")
    screenshot(page, "end-kivra-confirm")
    confirm.get_by_role("button", name="Ja, avsluta Kivra").click()
    expect(page.locator("#kivra-ended")).to_be_visible()

    page.goto(f"{product.ui_url}/")
    page.get_by_role("link", name=re.compile(r"^\d{4}-\d{2}$")).first.click()
    expect(page.locator("#forecast-table")).to_be_visible()
    expect(page.locator("#count-kivra")).to_have_text("0")
    channels = page.locator(
        "#forecast-table tbody tr td:nth-of-type(2)"
    ).all_inner_texts()
    assert channels
    assert set(channels) == {"Min lön"}
    screenshot(page, "run-after-kivra-ended")


def test_moved_company_sees_notice_once(page: Page, product: Product) -> None:
    """After the first send, a moved company's user sees the moved notice until dismissing it."""
    with api_as(product, "lon@flyttbolaget.example") as api:
        period = api.client.get(api.company_path("/payroll-runs")).json()["items"][0][
            "period"
        ]
        sent = api.client.post(
            api.company_path(f"/payroll-runs/{period}/send"), json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
    sign_in(page, product, "admin@flyttbolaget.example")
    banner = page.locator("#notice-banner")
    expect(banner).to_contain_text("statussida har flyttat")
    # The notice's API link opens the status page in the UI.
    expect(page.locator("#notice-banner-link")).to_have_attribute(
        "href", "/kivra/status"
    )
    expect(page.locator("#notification-count")).to_have_text(re.compile(r"^[1-9]"))
    screenshot(page, "moved-notice")
    page.get_by_role("button", name="Stäng meddelandet").click()
    expect(banner).to_have_count(0)
    page.reload()
    expect(page.locator("#company-name")).to_have_text("Flyttbolaget AB")
    page.wait_for_timeout(1000)
    expect(banner).to_have_count(0)
