"""Start the whole product as `make run` does and drive it with Debian's Chromium.

One start is shared by every browser test (package scope, so it stops
before the other test folders run): `scripts/run-product` (emulator, API
on a migrated SQLite file with demo data, UI in prod mode) runs on free ports
in its own process group, with its own Reflex build folder so that a
developer's instance on 3000 is left alone. A second start, with the UI's
state in Redis and several workers, serves the test that runs the activation
flow that way; it starts only when that test is selected.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from backend.kivra_emulator.operator_client import EmulatorOperator
from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DEMO_DATA = ROOT / "backend" / "demo" / "data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The first start builds the frontend (bun install and a Vite build).
START_TIMEOUT_SECONDS = 240
# Tries at the sign-in form before a test gives up (see `sign_in`).
SIGN_IN_ATTEMPTS = 3
# The demo users' password (backend/demo/data/companies.json).
DEMO_PASSWORD = "demo1234"
# Redis databases the browser tests may use; each run claims one of its own
# with a lock key, so two runs on one machine never flush each other's state.
E2E_REDIS_BASE = "redis://127.0.0.1:6379"
E2E_REDIS_DATABASES = range(5, 16)
E2E_REDIS_LOCK = "kivra-lon-e2e-lock"
E2E_REDIS_LOCK_SECONDS = 3600


@dataclass(frozen=True)
class Product:
    """Where a running product answers, and where its log goes."""

    ui_url: str
    api_url: str
    emulator_url: str
    log_path: Path


def _product_env(
    workdir: Path, ports: dict[str, int], redis_url: str | None
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("REFLEX_", "GRANIAN_"))
    }
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'product.sqlite3'}",
            "API_PORT": str(ports["api"]),
            "API_URL": f"http://127.0.0.1:{ports['api']}",
            "UI_PORT": str(ports["ui"]),
            "KIVRA_EMULATOR_PORT": str(ports["emulator"]),
            "KIVRA_BASE_URL": f"http://127.0.0.1:{ports['emulator']}",
            "REFLEX_WEB_WORKDIR": str(workdir / "web"),
            "REFLEX_STATES_WORKDIR": str(workdir / "states"),
            "LOG_LEVEL": "WARNING",
        }
    )
    if redis_url:
        env["REFLEX_REDIS_URL"] = redis_url
        env["GRANIAN_WORKERS"] = "3"
    return env


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _wait_until_ready(process: subprocess.Popen[bytes], product: Product) -> None:
    probes = [
        f"{product.emulator_url}/_emulator/state",
        f"{product.api_url}/api/health",
        f"{product.ui_url}/ping",
    ]
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the product stopped while starting; see {product.log_path}:\n"
                + product.log_path.read_text(errors="replace")[-3000:]
            )
        if all(_answers(url) for url in probes):
            return
        time.sleep(0.5)
    raise RuntimeError(
        f"the product did not start in time; see {product.log_path}:\n"
        + product.log_path.read_text(errors="replace")[-3000:]
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _start(
    workdir: Path, redis_url: str | None
) -> tuple[subprocess.Popen[bytes], Product]:
    ports = {"api": free_port(), "ui": free_port(), "emulator": free_port()}
    product = Product(
        ui_url=f"http://127.0.0.1:{ports['ui']}",
        api_url=f"http://127.0.0.1:{ports['api']}",
        emulator_url=f"http://127.0.0.1:{ports['emulator']}",
        log_path=workdir / "product.log",
    )
    (workdir / "product.sqlite3").unlink(missing_ok=True)
    with product.log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run-product")],
            cwd=ROOT,
            env=_product_env(workdir, ports, redis_url),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, product


@contextlib.contextmanager
def run_product(workdir: Path, redis_url: str | None = None) -> Iterator[Product]:
    """Run `scripts/run-product` on free ports until the block ends.

    A free port can be taken by another program between choosing and
    binding it, so a failed start is tried once more on new ports.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        process, product = _start(workdir, redis_url)
        try:
            _wait_until_ready(process, product)
            break
        except RuntimeError:
            _stop(process)
            if attempt == 2:
                raise
    try:
        yield product
    finally:
        _stop(process)


@pytest.fixture(scope="package")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    """The product as `make run` starts it, shared by every browser test."""
    with run_product(tmp_path_factory.mktemp("product")) as running:
        yield running


@pytest.fixture(scope="package")
def product_with_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    """A second product whose UI keeps its state in Redis, with several workers."""
    try:
        client, url = _claim_redis_database()
    except redis.RedisError:
        pytest.skip("Redis at 127.0.0.1:6379 does not answer")
    try:
        with run_product(tmp_path_factory.mktemp("product-redis"), url) as running:
            yield running
    finally:
        client.flushdb()
        client.close()


def _claim_redis_database() -> tuple[redis.Redis, str]:
    """Claim a Redis database no other browser test run holds, emptied but the lock."""
    for number in E2E_REDIS_DATABASES:
        url = f"{E2E_REDIS_BASE}/{number}"
        client = redis.Redis.from_url(url)
        if client.set(E2E_REDIS_LOCK, os.getpid(), nx=True, ex=E2E_REDIS_LOCK_SECONDS):
            for key in client.scan_iter():
                if key != E2E_REDIS_LOCK.encode():
                    client.delete(key)
            return client, url
        client.close()
    pytest.skip("every Redis database for the browser tests is held by another run")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    """Playwright per module: its sync API holds an event loop while it runs,
    which must be gone before the async tests of other folders start."""
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright's own browser download is never used."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `make browser`")
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no storage) and page per test."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="sv-SE"
    )
    context.set_default_timeout(20_000)
    new_page = context.new_page()
    yield new_page
    context.close()


@dataclass(frozen=True)
class ApiUser:
    """A signed-in API client and the user's company."""

    client: httpx.Client
    company_id: int

    def company_path(self, rest: str) -> str:
        return f"/api/companies/{self.company_id}{rest}"


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Let dialogs and toasts finish their entry animation first.
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(
    page: Page, product: Product, email: str, password: str = DEMO_PASSWORD
) -> None:
    """Sign in through the sign-in page and wait until it has been left.

    A form filled before the page has connected to its state can lose the
    typing and the click; then the same user fills it in again.
    """
    page.goto(f"{product.ui_url}/login")
    for attempt in range(SIGN_IN_ATTEMPTS):
        page.get_by_label("E-postadress").fill(email)
        page.get_by_label("Lösenord").fill(password)
        page.get_by_role("button", name="Logga in").click()
        try:
            page.wait_for_url(lambda url: "/login" not in url, timeout=10_000)
        except PlaywrightTimeoutError:
            if attempt == SIGN_IN_ATTEMPTS - 1:
                raise
        else:
            return


@contextlib.contextmanager
def api_as(
    product: Product, email: str, password: str = DEMO_PASSWORD
) -> Iterator[ApiUser]:
    """An HTTP client signed in to the product's API as `email`."""
    with httpx.Client(base_url=product.api_url, timeout=30) as client:
        answer = client.post(
            "/api/auth/login", json={"email": email, "password": password}
        )
        answer.raise_for_status()
        body = answer.json()
        client.headers["Authorization"] = f"Bearer {body['token']}"
        yield ApiUser(client=client, company_id=int(body["user"]["company_id"]))


def emulator(product: Product) -> EmulatorOperator:
    """The emulator's operator API, to see what Kivra received."""
    return EmulatorOperator(product.emulator_url)


def demo_kivra_users(company_key: str) -> set[str]:
    """Personnummer of a demo company's employees whom the demo makes Kivra users."""
    recipients = json.loads((DEMO_DATA / "kivra.json").read_text(encoding="utf-8"))
    active = {
        r["personnummer"] for r in recipients["recipients"] if r["state"] == "active"
    }
    register = (DEMO_DATA / f"{company_key}-personal.csv").read_text(encoding="utf-8")
    employees = {
        row["personnummer"].replace("-", "")
        for row in csv.DictReader(io.StringIO(register), delimiter=";")
    }
    return employees & active
