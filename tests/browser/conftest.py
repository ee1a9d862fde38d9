"""A real browser against a real server: the app served on 127.0.0.1 from a background
thread, and Debian's chromium driven by Playwright (no `playwright install` needed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Quiet, offline, deterministic: nothing phones home, nothing is fetched but the app.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 5_000


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test's app served over HTTP on a free local port; yields its base URL.

    Each request runs in the server thread's own app context, as in production; the
    test's own app context (from the `app` fixture) is not shared with it.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium for the whole session."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class ConsoleErrors(list[str]):
    """Every console error and uncaught page error seen, e.g. a CSP violation."""

    def watch(self, page: Page) -> None:
        """Start collecting from `page`."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.append(f"page error: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        # Chromium asks every site for /favicon.ico on its own; the app has none (yet), and
        # that 404 says nothing about the pages themselves.
        if message.location.get("url", "").endswith("/favicon.ico"):
            return
        if message.type == "error":
            self.append(f"console: {message.text} at {message.location.get('url')}")


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser: Browser, console_errors: ConsoleErrors) -> Iterator[Page]:
    """A fresh browser profile (no cookies) set to English, as a first visit would be."""
    context = browser.new_context(
        locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    console_errors.watch(page)
    yield page
    context.close()
