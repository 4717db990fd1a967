"""Transcript review (issue 18) in Chromium: an agent closes a chat in the console, a
supervisor finds it by searching the archive, reads it and reviews it, and the agent sees
the review under "My reviews". Customer text stays text all the way.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from bot.stack import Stack
from tests.browser import a11y
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console import (
    AgentAccount,
    NewCustomer,
    NewPage,
    chat,
    close_chat,
    console,
    send,
    with_an_agent,
)

# Words no other test's chat has, with the characters SQL's LIKE would take as wildcards.
ODD_WORDS = "parcel 50%_off <b>now</b>"


def test_a_supervisor_finds_reviews_and_the_agent_sees_it(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
) -> None:
    ann = console(new_page, stack, agent_account(name="Ann Lee", skills=("general",)))
    kim = customers("Kim Lo")
    with_an_agent(kim)
    send(ann, "Kim Lo", "Hi Kim, Ann here.")
    kim.bot_says("Ann here")
    kim.say(f"Where is my {ODD_WORDS}?")
    expect(chat(ann, "Kim Lo").get_by_text(ODD_WORDS)).to_be_visible()
    close_chat(ann, "Kim Lo", "Resolved")
    kim.status("closed")

    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    boss.goto(f"{stack.gateway_url}/agent/supervisor")
    review = boss.get_by_role("region", name="Review", exact=True)
    review.get_by_label("Words in the chat, or a ticket reference").fill("50%_OFF")
    review.get_by_role("button", name="Search").click()
    rows = review.locator("#review-results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ann Lee")
    rows.first.get_by_role("button", name=re.compile("^Review the chat closed")).click()

    expect(review.get_by_role("heading", name="Chat with Kim Lo")).to_be_visible()
    transcript = review.get_by_role("log", name="Transcript, the assistant's part included")
    # The customer's markup is shown as they typed it, and the bot's part is there too.
    expect(transcript.get_by_text(ODD_WORDS)).to_be_visible()
    expect(transcript.locator(".line-bot").first).to_be_visible()
    expect(transcript.locator("b")).to_have_count(0)
    for question, answer in (
        ("Did the agent greet the customer", "5"),
        ("Was the customer's problem solved", "4"),
        ("Was the agent's tone friendly", "5"),
        ("Did the agent follow policy", "yes"),
    ):
        group = review.get_by_role("group", name=re.compile(f"^{re.escape(question)}"))
        group.get_by_label(answer, exact=True).check()
    review.get_by_label("Comment for the agent").fill("Good save; say <i>when</i> it ships.")
    review.get_by_role("button", name="Save review").click()
    expect(review.get_by_role("status")).to_contain_text("Saved: your review, Sue Park")
    expect(rows.first).to_contain_text("Reviewed (1)")
    assert a11y.problems(boss) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    review.screenshot(path=str(SCREENSHOTS / "supervisor-review.png"))

    mine = ann.get_by_role("region", name=re.compile("^My reviews"))
    mine.get_by_role("button", name="Refresh").click()
    item = mine.get_by_role("listitem").first
    expect(item).to_contain_text("Good save; say <i>when</i> it ships.")
    expect(item).to_contain_text("Sue Park")
    expect(item).to_contain_text("4 of 5")
    expect(item.locator("i")).to_have_count(0)
