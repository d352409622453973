"""A new customer sends directly; a failure is resent; numbers and Min lön agree.

The tests of this module run in order on the shared product's Nykund AB.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Product,
    api_as,
    emulator,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

PERIOD_LINK = re.compile(r"^\d{4}-\d{2}$")


def test_new_customer_sends_directly_without_activation(
    page: Page, product: Product
) -> None:
    """No offer for a new customer: the send runs at once; one Kivra refusal shows as failed."""
    with emulator(product) as operator:
        # Kivra refuses the first payslip it gets (a permanent 400), so one fails.
        operator.inject_fault(
            "error", "/v2/tenant/*/content", method="POST", count=1, status=400
        )
    sign_in(page, product, "lon@nykund.example")
    page.get_by_role("link", name=PERIOD_LINK).first.click()
    expect(page.locator("#forecast-table")).to_be_visible()
    expect(page.locator("#notification-count")).to_have_count(0)
    expect(page.get_by_role("radio", name="Skicka nu", exact=True)).to_be_checked()
    expect(
        page.get_by_role("radio", name="Vänta till lönedagen", exact=True)
    ).not_to_be_checked()
    page.get_by_role("button", name="Skicka lönebesked").click()
    expect(page.locator("#send-done")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("dialog")).to_have_count(0)
    summary = page.locator("#send-summary")
    expect(summary).to_contain_text("Misslyckades")
    expect(summary).to_contain_text("Levererade till Kivra")
    # The failure notice reaches the bell without leaving the page.
    expect(page.locator("#notification-count")).to_have_text("1")
    screenshot(page, "new-customer-summary")


def test_status_page_numbers_equal_api(page: Page, product: Product) -> None:
    """The status page shows the API's totals for the same month."""
    with api_as(product, "lon@nykund.example") as api:
        runs = api.client.get(api.company_path("/payroll-runs")).json()["items"]
        month = runs[0]["period"]
        status = api.client.get(
            api.company_path("/status"), params={"month": month}
        ).json()
    expected = {"kivra": 0, "min_lon": 0}
    for total in status["totals"]:
        expected[total["channel"]] += total["count"]
    assert sum(expected.values()) > 0

    sign_in(page, product, "lon@nykund.example")
    page.goto(f"{product.ui_url}/kivra/status?month={month}")
    expect(page.locator("#total-kivra")).to_have_text(str(expected["kivra"]))
    expect(page.locator("#total-min-lon")).to_have_text(str(expected["min_lon"]))
    counts = page.locator("#totals-table .total-count").all_inner_texts()
    assert sorted(int(c) for c in counts) == sorted(
        t["count"] for t in status["totals"]
    )
    expect(page.locator("#failures")).to_contain_text("Skicka om misslyckade")
    page.get_by_label("Utfall", exact=True).select_option("failed")
    expect(page.locator("#status-rows tbody tr")).to_have_count(len(status["failures"]))
    screenshot(page, "status-page")


def test_status_page_resend_failed(page: Page, product: Product) -> None:
    """ "Skicka om misslyckade" sends the failed payslip again and the failure goes away."""
    with api_as(product, "lon@nykund.example") as api:
        month = api.client.get(api.company_path("/payroll-runs")).json()["items"][0][
            "period"
        ]
    sign_in(page, product, "lon@nykund.example")
    page.goto(f"{product.ui_url}/kivra/status?month={month}")
    page.get_by_role("button", name="Skicka om misslyckade").click()
    expect(page.locator("#resend-done")).to_be_visible(timeout=30_000)
    expect(page.locator("#failures")).to_have_count(0, timeout=30_000)
    with api_as(product, "lon@nykund.example") as api:
        status = api.client.get(
            api.company_path("/status"), params={"month": month}
        ).json()
    assert status["failures"] == []
    screenshot(page, "status-page-after-resend")


def test_employee_sees_payslip_in_min_lon(page: Page, product: Product) -> None:
    """The employee signs in to Min lön and downloads their payslip as PDF."""
    sign_in(page, product, "anstalld@nykund.example")
    expect(page).to_have_url(re.compile(r"/min-lon"))
    card = page.locator(".my-payslip").first
    expect(card).to_contain_text("Nykund AB")
    with page.expect_download() as download_info:
        card.get_by_role("button", name="Ladda ner PDF").click()
    download = download_info.value
    assert download.suggested_filename.startswith("lonebesked-")
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    screenshot(page, "min-lon")
    expect(card).to_contain_text(" kr")
    # In English the amounts are written the English way.
    page.locator("#language-en").click()
    expect(card).to_contain_text("Net pay")
    expect(card).to_contain_text(re.compile(r"SEK \d{1,3}(,\d{3})*\.\d\d"))
    expect(card).not_to_contain_text(" kr")
