"""Browser tests: Debian's Chromium, driven by Playwright, against the session's whole stack.

Nothing here downloads a browser. Without /usr/bin/chromium the tests fail with the
command that installs it: browser tests are never skipped silently.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from bot.gateway_client import Customer
from bot.stack import Stack
from core.settings import ROOT
from handoff.customer_tokens import sign_customer_token
from tests.conftest import CUSTOMER_TOKEN_SECRET

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_CHROMIUM = "sudo apt-get install -y chromium"
# Headless in a closed network: no background connections to Google, no sandbox as root.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# `make screenshots` points this at docs/img; ordinary runs keep the committed ones untouched.
SCREENSHOTS = Path(os.environ.get("TANDEM_SCREENSHOTS_DIR", ROOT / "results" / "screenshots"))
# What the mail provider signs the webhook's posts with, in these tests.
INBOUND_MAIL_KEY = "browser-tests-mail-signing-key"
# A host site on an origin of its own (another port): its pages embed other chat widgets.
HOST_SITE_DIR = Path(__file__).parent / "webchat"


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Not one line per file on the test's output."""


@pytest.fixture(scope="session")
def host_site() -> Iterator[str]:
    """A website serving tests/browser/webchat/ (rasa-webchat from npm); yields its origin."""
    handler = functools.partial(_QuietFiles, directory=str(HOST_SITE_DIR))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()


@pytest.fixture(scope="session")
def stack(new_stack: Callable[..., Stack], host_site: str) -> Iterator[Stack]:
    """The session's stack, which also lets the host site's pages open customer sockets and
    takes customers' emailed replies on its mail webhook (signed with INBOUND_MAIL_KEY)."""
    session = new_stack(more_origins=(host_site,))
    session.settings = dataclasses.replace(session.settings, inbound_mail_key=INBOUND_MAIL_KEY)
    with session as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; the browser tests need it: {INSTALL_CHROMIUM}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def fresh_redis(empty_redis: None) -> None:
    """Every browser test starts from an empty Redis."""


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts (separate cookies and storage: separate people)."""
    contexts = []

    def make(viewport: ViewportSize | None = None, **options: Any) -> Page:
        size: ViewportSize = viewport or {"width": 1280, "height": 800}
        context = browser.new_context(viewport=size, **options)
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def customers(stack: Stack) -> Iterator[Callable[..., Customer]]:
    """Customers who log in on the website (so the console knows their name); without a
    name, a guest. All closed at the end."""
    opened: list[Customer] = []

    def make(name: str | None = None, customer_id: str | None = None) -> Customer:
        customer = Customer(stack)
        opened.append(customer)
        if name is None:
            customer.start()
            return customer
        token = sign_customer_token(customer_id or f"C-{len(opened)}", name, CUSTOMER_TOKEN_SECRET)
        customer.start(customer_token=token)
        return customer

    yield make
    for customer in opened:
        customer.close()


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a screenshot as <name>.png; `make screenshots` writes them to docs/img."""

    def take(page: Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take
