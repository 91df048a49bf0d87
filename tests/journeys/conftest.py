"""Browser journeys: Playwright (sync API) driving Debian's chromium against the live server."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (setting up data, checking the database) are still synchronous and safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _wait_for_chromium(timeout: float = 120.0) -> bool:
    """Debian's chromium may still be being installed by apt when the suite starts."""
    deadline = time.monotonic() + timeout
    while not CHROMIUM.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(2)
    return True


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not _wait_for_chromium():
        # make test installs it (scripts/system-packages.sh): a missing browser is a failure.
        pytest.fail("Debian chromium (/usr/bin/chromium) is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test, in Chinese like the teams Bihuan is built for."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    # Shared 2-core machines are slow at times: give assertions the same patience.
    expect.set_options(timeout=15_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot into test-artifacts/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
