"""The whole handoff in two browsers: a customer in the widget, an agent in the console.

The customer asks for a person, an agent logs in elsewhere and accepts, they write to
each other (the customer's HTML stays text on both sides), the customer reloads in the
middle and loses nothing, and the agent hands back to the bot, which answers again.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Locator, Page, expect

from bot.stack import Stack

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>hi</b>'


def open_widget(page: Page, url: str) -> Page:
    page.goto(url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    return page


def customer_says(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def widget_lines(page: Page, sender: str) -> Locator:
    """The text of each line `sender` wrote, as the widget shows it."""
    return page.locator(f".tandem-log [data-sender='{sender}'] .tandem-bubble")


def log_in(page: Page, url: str, login: str, password: str) -> Page:
    page.goto(f"{url}/agent")
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#connection")).to_have_text("Connected")
    return page


def test_a_customer_and_an_agent_talk_then_the_bot_takes_over_again(
    stack: Stack,
    new_page: Callable[..., Page],
    agent_account: Callable[..., tuple[str, str]],
    screenshot: Callable[[Page, str], object],
) -> None:
    login, password = agent_account(name="Ann Lee")
    console = log_in(new_page(), stack.gateway_url, login, password)
    console.get_by_label("Status").select_option("away")  # so the chat waits to be accepted

    customer = open_widget(new_page(), stack.gateway_url)
    customer_says(customer, "I want to talk to a human")
    expect(customer.locator(".tandem-status")).to_contain_text("next in line")
    customer.reload()  # still waiting, and still told where
    expect(customer.locator(".tandem-status")).to_contain_text("next in line")

    row = console.locator("#queue-rows tr").first
    expect(row).to_contain_text("general")
    row.get_by_role("button", name="Accept").click()
    chat = console.locator("article.chat").first
    expect(chat.locator(".transcript")).to_contain_text("I want to talk to a human")
    expect(customer.locator(".tandem-subtitle")).to_contain_text("Ann Lee")

    chat.get_by_label("Reply").fill("Hello, I'm Ann. How can I help?")
    chat.get_by_role("button", name="Send").click()
    agent_line = widget_lines(customer, "agent").last
    expect(agent_line).to_contain_text("Hello, I'm Ann. How can I help?")
    expect(customer.locator(".tandem-log [data-sender='agent'] .tandem-author").last).to_have_text(
        "Ann Lee"
    )

    customer_says(customer, HOSTILE)
    expect(chat.locator(".transcript")).to_contain_text(HOSTILE)
    expect(widget_lines(customer, "customer").last).to_have_text(HOSTILE)

    # A reload in the middle: the same conversation, every line once.
    before = widget_lines(customer, "customer").count() + widget_lines(customer, "agent").count()
    customer.reload()  # the panel stays open across the reload
    expect(widget_lines(customer, "customer").last).to_have_text(HOSTILE)
    after = widget_lines(customer, "customer").count() + widget_lines(customer, "agent").count()
    assert after == before
    chat.get_by_label("Reply").fill("Still here after your reload?")
    chat.get_by_role("button", name="Send").click()
    expect(widget_lines(customer, "agent").last).to_contain_text("Still here after your reload?")
    screenshot(console, "console-handoff")

    for page in (customer, console):
        assert page.evaluate("window.__pwned") is None, "customer HTML ran as markup"
        assert page.locator("b", has_text="hi").count() == 0

    chat.get_by_role("button", name="Hand back to bot").click()
    console.get_by_role("button", name="Confirm hand back").click()
    expect(customer.locator(".tandem-log [data-status='returned_to_bot']")).to_be_visible()
    bot_lines = widget_lines(customer, "bot").count()
    customer_says(customer, "what is my balance")
    expect(widget_lines(customer, "bot").nth(bot_lines)).to_be_visible(timeout=30_000)
