"""The agent console, driven as an agent would: logging in by the labelled form."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from bot.gateway_client import Customer
from bot.stack import Stack

NewPage = Callable[..., Page]
AgentAccount = Callable[..., tuple[str, str]]
NewCustomer = Callable[..., Customer]


def log_in(page: Page, stack: Stack, login: str, password: str) -> None:
    """Log in at /agent and wait until the console's socket is connected."""
    page.goto(f"{stack.gateway_url}/agent")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()


def console(new_page: NewPage, stack: Stack, account: tuple[str, str], **options: object) -> Page:
    """A logged-in console in a browser context of its own (``options``: e.g. viewport)."""
    page = new_page(**options)
    log_in(page, stack, *account)
    return page


def ask_for_person(customer: Customer) -> None:
    customer.say("/request_human")


def with_an_agent(*people: Customer) -> None:
    """Each customer in turn asks for a person and is given to an (available) agent."""
    for customer in people:
        ask_for_person(customer)
        customer.status("assigned")


def queue_entry(page: Page, name: str) -> Locator:
    """The customer's entry in the queue (not their chat in "My chats")."""
    queue = page.get_by_role("region", name=re.compile("^Queue"))
    return queue.get_by_role("listitem").filter(has_text=name)


def chat(page: Page, name: str) -> Locator:
    return page.get_by_role("article", name=f"Chat with {name}")


def set_status(page: Page, status: str) -> None:
    """Choose a status; the console announces it once the gateway has made the change."""
    page.get_by_label("Status").select_option(status)
    expect(page.locator("#announcer")).to_have_text(f"Your status is {status}.")


def send(page: Page, name: str, text: str) -> None:
    panel = chat(page, name)
    panel.get_by_label("Reply").fill(text)
    panel.get_by_role("button", name="Send").click()


def close_chat(page: Page, name: str, resolution: str, follow_up_email: str = "") -> None:
    """Close the chat by its dialog, with a follow-up ticket to ``follow_up_email`` if given."""
    chat(page, name).get_by_role("button", name="Close chat").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label(resolution, exact=True).check()
    if follow_up_email:
        dialog.get_by_label("Follow up by email (optional)").fill(follow_up_email)
    dialog.get_by_role("button", name="Confirm close").click()
