"""The whole handoff in two browsers: a customer in the widget, an agent in the console.

The customer asks for a person, an agent logs in elsewhere and accepts, they write to
each other (the customer's HTML stays text on both sides), the customer reloads in the
middle and loses nothing, and the agent hands back to the bot, which answers again.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from bot.stack import Stack
from tests.browser.console import log_in
from tests.browser.widget import demo

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>hi</b>'


def test_a_customer_and_an_agent_talk_then_the_bot_takes_over_again(
    stack: Stack,
    new_page: Callable[..., Page],
    agent_account: Callable[..., tuple[str, str]],
    screenshot: Callable[[Page, str], object],
) -> None:
    login, password = agent_account(name="Ann Lee")
    console = new_page()
    log_in(console, stack, login, password)
    console.get_by_label("Status").select_option("away")  # so the chat waits to be accepted

    customer = demo(new_page, stack)
    customer.open()
    customer.say("I want to talk to a human")
    expect(customer.status).to_contain_text("next in line")
    customer.page.reload()  # still waiting, and still told where
    expect(customer.status).to_contain_text("next in line")

    row = console.locator("#queue-rows .queue-entry").first
    expect(row).to_contain_text("general")
    row.get_by_role("button", name="Accept").click()
    chat = console.locator("article.chat").first
    expect(chat.locator(".transcript")).to_contain_text("I want to talk to a human")
    expect(customer.subtitle).to_contain_text("Ann Lee")

    chat.get_by_label("Reply").fill("Hello, I'm Ann. How can I help?")
    chat.get_by_role("button", name="Send").click()
    agent_line = customer.bubbles("agent").last
    expect(agent_line).to_contain_text("Hello, I'm Ann. How can I help?")
    expect(customer.messages("agent").locator(".tandem-author").last).to_have_text("Ann Lee")

    customer.say(HOSTILE)
    expect(chat.locator(".transcript")).to_contain_text(HOSTILE)
    expect(customer.bubbles("customer").last).to_have_text(HOSTILE)

    # A reload in the middle: the same conversation, every line once.
    before = customer.bubbles("customer").count() + customer.bubbles("agent").count()
    customer.page.reload()  # the panel stays open across the reload
    expect(customer.bubbles("customer").last).to_have_text(HOSTILE)
    after = customer.bubbles("customer").count() + customer.bubbles("agent").count()
    assert after == before
    chat.get_by_label("Reply").fill("Still here after your reload?")
    chat.get_by_role("button", name="Send").click()
    expect(customer.bubbles("agent").last).to_contain_text("Still here after your reload?")
    screenshot(console, "console-handoff")

    for page in (customer.page, console):
        assert page.evaluate("window.__pwned") is None, "customer HTML ran as markup"
        assert page.locator("b", has_text="hi").count() == 0

    chat.get_by_role("button", name="Hand back to bot").click()
    console.get_by_role("button", name="Confirm hand back").click()
    expect(customer.log.locator("[data-status='returned_to_bot']")).to_be_visible()
    bot_lines = customer.bubbles("bot").count()
    customer.say("what is my balance")
    expect(customer.bubbles("bot").nth(bot_lines)).to_be_visible(timeout=30_000)
