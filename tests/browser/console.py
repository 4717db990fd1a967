"""The agent console, driven as an agent would: logging in by the labelled form."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from bot.stack import Stack


def log_in(page: Page, stack: Stack, login: str, password: str) -> None:
    """Log in at /agent and wait until the console's socket is connected."""
    page.goto(f"{stack.gateway_url}/agent")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
