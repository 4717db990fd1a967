"""The agent console and the supervisor view in Chromium, against the real stack.

Customers are the product's Socket.IO client (real sockets, real Rasa); agents are
people in separate browser contexts. Every assertion waits on what is on screen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bot.demo import reset_customers
from bot.stack import Stack
from core.vocabulary import ENDINGS
from handoff.records.reports import DateRange, Reports
from tests.browser import a11y
from tests.browser.console import (
    AgentAccount,
    NewCustomer,
    NewPage,
    ask_for_person,
    chat,
    console,
    log_in,
    queue_entry,
    send,
    set_status,
    with_an_agent,
)

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>'


def closed_today(stack: Stack) -> dict[str, Any]:
    reports = Reports(stack.settings.database_url)
    try:
        return reports.overall(DateRange.day_of(time.time()), stack.settings.queue_sla_seconds)
    finally:
        reports.close()


def test_login_errors_logout_and_accessibility(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount
) -> None:
    login, password = agent_account()
    page = new_page()
    page.goto(f"{stack.gateway_url}/agent")
    assert a11y.problems(page) == []
    expect(page.get_by_label("Login")).to_be_focused()  # autofocus, then the form's order
    assert a11y.tab_order(page, 2) == ['input "Password"', 'button "Log in"']
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong login or password.")

    log_in(page, stack, login, password)
    expect(page.get_by_role("heading", name=re.compile("^Queue"))).to_be_visible()
    assert a11y.tab_order(page, 4) == [
        'a "Skip to content"',
        'a "Console"',
        'select "Status"',
        'button "Log out"',
    ]
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.goto(f"{stack.gateway_url}/agent")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_an_agent_accepts_and_serves_a_chat(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
) -> None:
    page = console(new_page, stack, agent_account(name="Ann Lee"))
    set_status(page, "away")  # away: the chat waits in the queue for "Accept"
    maria = customers("Maria Garcia")
    ask_for_person(maria)
    maria.status("queued")

    row = queue_entry(page, "Maria Garcia")
    expect(row).to_contain_text("Asked for a person")
    expect(row).to_contain_text("general")
    expect(row.locator(".waiting")).to_have_text(re.compile(r"^0:0\d$"))
    row.get_by_role("button", name="Accept").click()

    panel = chat(page, "Maria Garcia")
    # The customer tapped "Talk to a person": agents read what the customer chose.
    expect(panel.get_by_role("log")).to_contain_text("Talk to a person")
    expect(panel.get_by_role("log")).not_to_contain_text("/request_human")
    expect(panel).to_contain_text("Asked for a person")
    expect(panel.locator(".profile-list")).to_contain_text("Verified")
    expect(panel.locator(".profile-list")).to_contain_text("Maria Garcia")
    expect(queue_entry(page, "Maria Garcia")).to_have_count(0)
    maria.status("assigned")

    send(page, "Maria Garcia", "Hi Maria, Ann here.")
    assert (
        maria.wait_for("bot_uttered", lambda d: d.get("text") == "Hi Maria, Ann here.")["metadata"][
            "sender"
        ]
        == "agent"
    )
    expect(panel.get_by_role("log")).to_contain_text("You")

    maria.emit("typing", {"typing": True})
    expect(panel).to_contain_text("Maria Garcia is typing…")
    maria.say(HOSTILE)
    expect(panel.get_by_role("log")).to_contain_text(HOSTILE)
    assert page.evaluate("window.__pwned") is None
    assert panel.locator(".transcript img, .transcript script, .transcript b").count() == 0

    reply = panel.get_by_label("Reply")
    reply.press_sequentially("hel")
    maria.wait_for("typing", lambda d: d.get("typing") is True)
    reply.fill("")
    reply.press("/")
    search = panel.get_by_role("combobox", name="Search canned responses")
    expect(search).to_be_focused()
    search.fill("greet")
    expect(panel.get_by_role("option")).to_have_count(1)
    search.press("Enter")
    expect(reply).to_have_value(re.compile(r"^Hello Maria Garcia, I'm Ann Lee"))
    expect(reply).to_be_focused()
    reply.press("Enter")
    maria.wait_for("bot_uttered", lambda d: d.get("text", "").startswith("Hello Maria Garcia"))

    reply.press("Control+k")
    expect(search).to_be_focused()
    search.press("Escape")
    expect(reply).to_be_focused()

    assert a11y.problems(page) == []

    panel.get_by_role("button", name="Close chat").click()
    dialog = page.get_by_role("dialog", name="Close the chat")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Close chat").click()
    assert a11y.problems(page) == []  # with the dialog open
    dialog.get_by_label("Duplicate").check()
    dialog.get_by_role("button", name="Confirm close").click()
    expect(panel).to_have_count(0)
    expect(page.locator("#announcer")).to_have_text(
        "Chat with Maria Garcia was closed (duplicate)."
    )
    assert maria.status("closed")["csat_request"] is True


def test_two_chats_then_transfer_and_hand_back(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
    screenshot: Callable[[Page, str], object],
) -> None:
    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    maria, omar = customers("Maria Garcia"), customers("Omar Haddad")
    with_an_agent(maria, omar)

    # Routed to Ann without her asking: flagged, announced, counted in the title.
    for name in ("Maria Garcia", "Omar Haddad"):
        expect(chat(ann, name).get_by_text("New chat")).to_be_visible()
    expect(ann).to_have_title(re.compile(r"^\(2\) Console"))
    expect(ann.locator("#chat-count")).to_have_text("2 of 3")
    maria.say("My bill looks wrong.")
    omar.say("I cannot log in.")
    expect(chat(ann, "Maria Garcia").get_by_role("log")).to_contain_text("My bill looks wrong.")
    expect(chat(ann, "Omar Haddad").get_by_role("log")).to_contain_text("I cannot log in.")
    screenshot(ann, "console-two-chats")

    chat(ann, "Maria Garcia").get_by_label("Reply").click()
    expect(ann).to_have_title(re.compile(r"^\(1\) Console"))

    bob = console(new_page, stack, agent_account(name="Bob Ray"))
    chat(ann, "Maria Garcia").get_by_role("button", name="Transfer").click()
    dialog = ann.get_by_role("dialog", name="Transfer the chat")
    dialog.get_by_label("Transfer to").select_option(label="Bob Ray (0 of 3 chats)")
    dialog.get_by_role("button", name="Confirm transfer").click()
    expect(chat(ann, "Maria Garcia")).to_have_count(0)
    expect(chat(bob, "Maria Garcia").get_by_role("log")).to_contain_text("My bill looks wrong.")
    send(bob, "Maria Garcia", "Bob here, looking at your bill.")
    maria.wait_for("bot_uttered", lambda d: d["metadata"].get("agent_name") == "Bob Ray")

    omar_panel = chat(ann, "Omar Haddad")
    omar_panel.get_by_role("button", name="Hand back to bot").click()
    dialog = ann.get_by_role("dialog", name="Hand back to the assistant")
    dialog.get_by_role("button", name="Confirm hand back").click()
    expect(omar_panel).to_have_count(0)
    omar.status("returned_to_bot")
    omar.wait_for("bot_uttered", lambda d: d["metadata"]["sender"] == "bot")


def test_supervisor_view_and_who_may_edit_canned_responses(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
    screenshot: Callable[[Page, str], object],
) -> None:
    # The supervisor watches, so is away: the console makes whoever connects available.
    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    set_status(boss, "away")
    agent = console(new_page, stack, agent_account(name="Ann Lee", capacity=1))
    # Today: one chat served, closed and rated; one with Ann; one waiting; one with the bot.
    rated, maria, omar = customers("Kim Lo"), customers("Maria Garcia"), customers("Omar Haddad")
    with_an_agent(rated)
    send(agent, "Kim Lo", "Done: your address is changed.")
    chat(agent, "Kim Lo").get_by_role("button", name="Close chat").click()
    agent.get_by_role("dialog").get_by_role("button", name="Confirm close").click()
    rated.status("closed")
    rated.emit("csat", {"rating": 5})
    rated.status("rated")
    with_an_agent(maria)
    ask_for_person(omar)
    omar.status("queued")
    customers("Lena Park").say("hello")

    # Agents get neither the supervisor view nor the canned-response edits.
    expect(agent.get_by_role("link", name="Supervisor view")).to_have_count(0)
    elsewhere = agent.context.new_page()  # another tab: the console stays connected
    response = elsewhere.goto(f"{stack.gateway_url}/agent/supervisor")
    assert response is not None and response.status == 403
    expect(elsewhere.get_by_role("heading", name="Supervisors only")).to_be_visible()
    edit = agent.request.post(
        f"{stack.gateway_url}/agent/api/canned", data={"title": "Mine", "body": "Hi"}
    )
    assert edit.status == 403

    # Opened in a second tab, as a supervisor would, so the console stays connected.
    link = boss.get_by_role("link", name="Supervisor view")
    with boss.context.expect_page() as opened:
        link.click(modifiers=["Control"])
    boss = opened.value
    expect(boss.get_by_role("heading", name="Supervisor view")).to_be_visible()

    live = boss.locator("#live-rows")
    expect(live.get_by_role("row").filter(has_text="Maria Garcia")).to_contain_text("Ann Lee")
    expect(live.get_by_role("row").filter(has_text="Omar Haddad")).to_contain_text("Queue")
    expect(live.get_by_role("row").filter(has_text="Lena Park")).to_contain_text("Assistant")
    agents = boss.locator("#agents-rows")
    expect(agents.get_by_role("row").filter(has_text="Ann Lee")).to_contain_text("Available")
    expect(agents.get_by_role("row").filter(has_text="Ann Lee")).to_contain_text("1 of 1")
    expect(boss.locator("#queue-summary")).to_contain_text("1 waiting · longest wait")
    figures = boss.locator("#figures")
    expect(figures.locator("div").filter(has_text="Conversations")).to_contain_text("4")
    expect(figures.locator("div").filter(has_text="answered by an agent")).to_contain_text("2")
    expect(figures.locator("div").filter(has_text="no agent answered")).to_contain_text("1")
    expect(figures.locator("div").filter(has_text="bot alone")).to_contain_text("1")
    # Closed chats are in SQL, which other tests of the session share: compare with the archive.
    closed = closed_today(stack)
    rate, resolutions = closed["resolution_rate"], closed["resolutions"]
    expect(figures.locator("div").filter(has_text="Resolution rate")).to_contain_text(
        f"{round(rate * 100)}%"
    )
    expect(figures.locator("div").filter(has_text="CSAT")).to_contain_text(
        f"{closed['avg_csat']:.1f} of 5 ({closed['csat_responses']})"
    )
    expect(figures.locator("div").filter(has_text="Handle time")).to_contain_text(" s")
    expect(boss.get_by_role("img", name=re.compile("Who handled"))).to_have_attribute(
        "aria-label", "Who handled today's conversations: Bot alone: 1, An agent: 2, No agent: 1"
    )
    expect(boss.get_by_role("img", name=re.compile("How closed chats ended"))).to_have_attribute(
        "aria-label",
        "How closed chats ended: "
        + ", ".join(f"{label}: {resolutions.get(code, 0)}" for code, label in ENDINGS.items()),
    )
    assert a11y.problems(boss) == []
    screenshot(boss, "supervisor")

    boss.get_by_role("button", name="Edit Greeting").click()
    boss.get_by_label("Text").fill("Hi {{ customer.name | default('there') }}! {{ ''.__class__ }}")
    boss.get_by_role("button", name="Save response").click()
    expect(boss.locator("#canned-problem")).to_have_text(
        "'__class__' is not a field a template may read."
    )
    boss.get_by_label("Text").fill("Hi {{ customer.name | default('there') }}, welcome!")
    boss.get_by_role("button", name="Save response").click()
    expect(boss.get_by_role("status").filter(has_text="Saved")).to_have_text('Saved "Greeting".')

    # The agent's console uses the edited response at once.
    panel = chat(agent, "Maria Garcia")
    agent.goto(f"{stack.gateway_url}/agent")
    reply = panel.get_by_label("Reply")
    reply.press("Control+k")
    panel.get_by_role("combobox", name="Search canned responses").fill("greeting")
    panel.get_by_role("combobox", name="Search canned responses").press("Enter")
    expect(reply).to_have_value("Hi Maria Garcia, welcome!")


def test_hand_back_resumes_the_interrupted_task(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    reset_customers(stack.settings.database_url)
    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    dana = customers("Dana Whitfield", "ACC-1001")  # signed in on the website: verified
    dana.say("I want to pay my bill")
    dana.bot_says("How much would you like to pay?")
    with_an_agent(dana)

    panel = chat(ann, "Dana Whitfield")
    expect(panel.locator(".profile-list")).to_contain_text(
        "Paying a bill: was asking for the amount to pay"
    )
    panel.get_by_role("button", name="Hand back to bot").click()
    dialog = ann.get_by_role("dialog", name="Hand back to the assistant")
    resume = dialog.get_by_label("Resume the interrupted task (Paying a bill)")
    expect(resume).to_be_checked()
    dialog.get_by_role("button", name="Cancel").click()
    expect(panel).to_be_visible()
    panel.get_by_role("button", name="Hand back to bot").click()
    dialog.get_by_role("button", name="Confirm hand back").click()
    expect(panel).to_have_count(0)
    dana.bot_says("finish where we left off")
    dana.bot_says("How much would you like to pay?")


# The console's socket dies right after it carries the first line the agent sends: with the
# line itself (``lose_line``: the gateway never gets it) or before the gateway's answer.
DROP_AFTER_FIRST_LINE = """(loseLine) => {
  window.lineFrames = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (frame) {
    const line = typeof frame === "string" && frame.startsWith('42/agent,["send"');
    if (line) window.lineFrames.push(JSON.parse(frame.slice("42/agent,".length))[1]);
    if (line && window.lineFrames.length === 1) {
      if (!loseLine) send.call(this, frame);
      this.close();
      return;
    }
    send.call(this, frame);
  };
}"""


@pytest.mark.parametrize("lose_line", [True, False])
def test_a_line_whose_connection_died_is_sent_again_with_its_id_and_heard_once(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
    lose_line: bool,
) -> None:
    page = console(new_page, stack, agent_account(name="Ann Lee"))
    maria = customers("Maria Garcia")
    with_an_agent(maria)
    expect(chat(page, "Maria Garcia")).to_be_visible()
    page.evaluate(DROP_AFTER_FIRST_LINE, lose_line)

    send(page, "Maria Garcia", "Hi Maria, Ann here.")

    maria.wait_for("bot_uttered", lambda d: d.get("text") == "Hi Maria, Ann here.")
    deadline = time.monotonic() + 15
    while len(frames := page.evaluate("window.lineFrames")) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)  # until the new connection has sent it again
    assert len(frames) == 2 and frames[0] == frames[1]  # sent again, with the same id
    told = [d for name, d in maria.drain(1.5) if name == "bot_uttered"]
    assert told == []
    log = chat(page, "Maria Garcia").get_by_role("log")
    expect(log.get_by_text("Hi Maria, Ann here.")).to_have_count(1)
