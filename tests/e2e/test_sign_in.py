"""Signing in through the UI, as a person would."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import DEMO_DATA, Product, screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_sign_in_page_switches_language(page: Page, product: Product) -> None:
    """The sign-in page is Swedish first and English once chosen."""
    page.goto(f"{product.ui_url}/login")
    expect(page.get_by_role("button", name="Logga in")).to_be_visible()
    screenshot(page, "sign-in-sv")
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()


def test_sign_in_wrong_password_shows_message(page: Page, product: Product) -> None:
    """A wrong password gives the API's message, never a stack trace."""
    page.goto(f"{product.ui_url}/login")
    page.get_by_label("E-postadress").fill("ingen@example.se")
    page.get_by_label("Lösenord").fill("fel-lösenord-123")
    page.get_by_role("button", name="Logga in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("Traceback")
    screenshot(page, "sign-in-failed")


def test_sign_in_admin_sees_start_page(page: Page, product: Product) -> None:
    """A demo admin lands on the start page with the company and its payroll run."""
    sign_in(page, product, "admin@demobolaget.example")
    expect(page.locator("#company-name")).to_have_text("Demobolaget AB")
    expect(page.locator("#runs-table")).to_contain_text("Slutlig")
    expect(page.locator("#user-name")).to_have_text("Anna Admin")
    screenshot(page, "start-page")


def test_start_page_readable_at_360_px(page: Page, product: Product) -> None:
    """On a narrow phone the start and status pages stay readable, without sideways scrolling."""
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, product, "lon@demobolaget.example")
    expect(page.locator("#company-name")).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1
    screenshot(page, "start-page-360px")

    # The status page too, for a month with rows (Flyttbolaget's history from
    # the old web product): the outcome filter fits and the table scrolls
    # inside its box.
    moved = json.loads((DEMO_DATA / "flyttbolaget-vla.json").read_text("utf-8"))
    month = max(d["period"] for d in moved["deliveries"])
    page.get_by_role("button", name="Logga ut").click()
    sign_in(page, product, "lon@flyttbolaget.example")
    page.goto(f"{product.ui_url}/kivra/status?month={month}")
    expect(page.locator("#status-rows tbody tr").first).to_be_visible()
    # The old web product's Min lön rows are not called deliveries to Kivra.
    expect(page.locator("#status-rows")).to_contain_text("Levererade till Min lön")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1
    select = page.locator("#outcome-filter").bounding_box()
    assert select is not None
    assert select["x"] + select["width"] <= 360
    screenshot(page, "status-page-360px")


def test_language_switch_after_sign_in_changes_pages(
    page: Page, product: Product
) -> None:
    """English chosen in the header applies to the page and to the API's answers."""
    sign_in(page, product, "lon@gamlakunden.example")
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("heading", name="Payroll runs")).to_be_visible()
    page.goto(f"{product.ui_url}/lonekorning?period=1999-01")
    expect(page.locator("#run-error")).to_be_visible()
    expect(page.locator("#run-error")).not_to_contain_text("finns")
    expect(page.get_by_role("link", name="More solutions")).to_be_visible()
    expect(page.locator("#forecast-table")).to_have_count(0)
    screenshot(page, "english-missing-run")


def test_sign_in_with_keyboard_only(page: Page, product: Product) -> None:
    """Tab from the e-mail field to the password, Enter signs in."""
    page.goto(f"{product.ui_url}/login")
    email = page.get_by_label("E-postadress")
    email.focus()
    page.keyboard.type("lon@demobolaget.example")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Lösenord")).to_be_focused()
    page.keyboard.type("demo1234")
    page.keyboard.press("Enter")
    expect(page.locator("#company-name")).to_have_text("Demobolaget AB")
