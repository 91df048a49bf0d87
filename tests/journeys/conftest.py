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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per module, not per session: Playwright's sync API keeps an asyncio loop
    marked as running in this thread while it is open, and the WebSocket tests (pytest-asyncio)
    that run after a browser module in the same worker need the thread without one."""
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


class _ThreadedAsgiServer:
    """uvicorn serving ``bihuan.asgi:application`` from a thread of the test process.

    In the test process, so that it uses the test database (pytest-django has renamed it by
    then) and the same channel layer: in-memory on SQLite (what ``bihuan serve`` runs),
    Redis when BIHUAN_TEST_REDIS_URL is set. HTTP and WebSocket on one loopback port.
    """

    def __init__(self) -> None:
        # Imported here: bihuan.asgi sets Django up, which pytest-django must do first.
        import socket
        import threading

        import uvicorn

        from bihuan.asgi import application

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        port = self._socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            ws_ping_interval=None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name="asgi-test-server",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the ASGI test server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@pytest.fixture(scope="session")
def _asgi_server_session(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    """One uvicorn for the whole session (started on first use, about 50 ms)."""
    server = _ThreadedAsgiServer()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def asgi_server(_asgi_server_session: str, transactional_db: None) -> str:
    """Base URL (``http://127.0.0.1:PORT``) of the ASGI app served by uvicorn: pages over
    HTTP and WebSocket (``ws://`` + the same host) for Playwright or a ``websockets`` client.

    Like pytest-django's ``live_server`` the data is committed (``transactional_db``), so the
    server's threads see what the test set up. Unlike ``live_server`` it is the production
    ASGI stack (uvicorn, Channels routing, the session middleware on WebSocket).
    """
    return _asgi_server_session
