"""An existing customer without history sends for the first time and activates Kivra."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    Product,
    api_as,
    demo_kivra_users,
    emulator,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.e2e

COMPANY_ORGNR = "5599000337"


@pytest.mark.parametrize(
    ("variant", "user"),
    [
        ("product", "admin@gamlakunden.example"),
        ("product_with_redis", "lon@gamlakunden.example"),
    ],
)
def test_activation_flow_send_offer_agreement_progress_summary(
    page: Page, request: pytest.FixtureRequest, variant: str, user: str
) -> None:
    """Send -> offer -> agreement -> approve -> progress -> summary; Kivra got its users' payslips.

    An admin runs it on the plain product and a payroll clerk, who may approve
    payslips only, on the Redis variant (the UI with several workers and its
    state in Redis). Either way only payslips are approved from the run.

    On the Redis variant Kivra fails every tenant call while the clerk
    approves: the send goes to Min lön at once, the page follows it without
    waiting for Kivra, and the Kivra users' payslips reach Kivra once Kivra
    answers and the page is read again.
    """
    product: Product = request.getfixturevalue(variant)
    kivra_down = variant == "product_with_redis"
    sign_in(page, product, user)
    page.get_by_role("link", name="2026-", exact=False).first.click()
    expect(page.locator("#forecast-table")).to_be_visible()
    if kivra_down:
        with emulator(product) as operator:
            operator.inject_fault("error", "/v2/tenant*", status=503, count=200)
    page.get_by_role("button", name="Skicka lönebesked").click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    screenshot(page, f"activation-offer-{variant}")
    # Keyboard focus stays in the open dialog.
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("() => !!document.activeElement.closest('[role=dialog]')")
    dialog.get_by_role("button", name="Aktivera Kivra").click()

    approve = dialog.get_by_role("button", name="Godkänn och skicka")
    expect(dialog.locator("#agreement-terms")).to_contain_text("Kivra")
    expect(approve).to_be_disabled()
    screenshot(page, f"activation-agreement-{variant}")
    accept = dialog.get_by_role("checkbox", name="Jag har läst och godkänner villkoren")
    accept.click()
    expect(accept).to_be_checked()
    approve.click()

    if kivra_down:
        # The approval waits at most 5 s for Kivra; then the page follows the
        # send at once, not after re-reading the forecast (which waits too).
        expect(page.locator("#send-done")).to_be_visible(timeout=10_000)
        expect(page.locator("#progress-panel")).to_contain_text("100 %")
        expect(page.locator("#send-summary")).to_contain_text("Publicerade i Min lön")
        expect(page.locator("#send-summary")).not_to_contain_text("Levererade")
        expect(page.locator("#forecast-table")).to_contain_text(
            "Väntar på Kivra", timeout=30_000
        )
        screenshot(page, f"activation-kivra-down-{variant}")
        with emulator(product) as operator:
            operator.clear_faults()
        page.reload()

    expect(page.locator("#send-done")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.locator("#progress-panel")).to_contain_text("100 %")
    summary = page.locator("#send-summary")
    expect(summary).to_contain_text("Levererade till Kivra")
    expect(page.locator("#status-link")).to_have_attribute(
        "href", re.compile(r"/kivra/status\?month=")
    )
    screenshot(page, f"activation-summary-{variant}")
    with api_as(product, user) as api:
        agreement = api.client.get(api.company_path("/agreement")).json()
    assert agreement["scopes"] == ["payslips"]

    with emulator(product) as operator:
        tenants = [
            t
            for t in operator.tenants()
            if any(COMPANY_ORGNR in o for o in t["orgnrs"])
        ]
        assert len(tenants) == 1
        received = {
            re.sub(r"\D", "", c["recipient"])
            for c in operator.contents()
            if c["tenant_key"] == tenants[0]["key"]
        }
    assert received == demo_kivra_users("gamlakunden")


def test_agreement_approved_again_from_fler_losningar(
    page: Page, product_with_redis: Product
) -> None:
    """After ending Kivra, an admin reads and approves the agreement in "Fler lösningar"."""
    product = product_with_redis
    with api_as(product, "admin@gamlakunden.example") as api:
        # The company starts without an agreement; approve one to end, unless
        # an earlier test in this module has already done so.
        agreement = api.client.get(api.company_path("/agreement")).json()
        if agreement["state"] != "active":
            approved = api.client.post(
                api.company_path("/agreement/approve"),
                json={
                    "terms_version": agreement["terms"]["version"],
                    "scopes": ["payslips"],
                    "entry_point": "fler_losningar",
                },
            )
            assert approved.status_code == 200, approved.text
        ended = api.client.post(api.company_path("/agreement/end"))
        assert ended.status_code == 200, ended.text
    sign_in(page, product, "admin@gamlakunden.example")
    page.goto(f"{product.ui_url}/fler-losningar")
    expect(page.locator("#card-badge")).to_have_text("Avslutat")
    approve = page.get_by_role("button", name="Godkänn avtalet")
    expect(approve).to_be_disabled()
    accept = page.get_by_role("checkbox", name="Jag har läst och godkänner villkoren")
    accept.click()
    expect(accept).to_be_checked()
    approve.click()
    expect(page.locator("#card-badge")).to_have_text(
        re.compile("Aktivt|Väntar på Kivra")
    )
    expect(page.get_by_role("switch", name="Lönebesked")).to_be_checked()
    expect(page.get_by_role("table").last).to_contain_text("Avslutat")
    screenshot(page, "fler-losningar-approved-again")
