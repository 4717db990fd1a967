"""The agent's workspace on a shift (issue 15): the queue at every width, the customer panel,
notes, several chats, presence and the supervisor's view, in Chromium against the real stack.

Customers are the product's Socket.IO client (real sockets, real Rasa); agents are people in
separate browser contexts. Every assertion waits on what is on screen or on the socket.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from actions.accounts import AccountClient
from bot.stack import Stack
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

WIDTHS = (1280, 1440, 1920)


@pytest.mark.parametrize("width", WIDTHS)
def test_accept_is_clicked_with_the_mouse_beside_an_open_chat(
    width: int,
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
) -> None:
    page = console(
        new_page, stack, agent_account(name="Ann Lee"), viewport={"width": width, "height": 900}
    )
    maria = customers("Maria Garcia")
    with_an_agent(maria)
    expect(chat(page, "Maria Garcia")).to_be_visible()
    set_status(page, "away")  # so the next chat waits for "Accept"

    omar = customers("Omar Haddad")
    omar.say("I was charged twice for March")
    ask_for_person(omar)
    omar.status("queued")
    entry = queue_entry(page, "Omar Haddad")
    # The preview is the customer's own latest line, with priority, wait and skill beside it.
    expect(entry).to_contain_text("Talk to a person")
    expect(entry).to_contain_text("Normal")
    expect(entry).to_contain_text(re.compile(r"Waiting \d+:\d\d"))
    expect(entry).to_contain_text("skill")

    accept = entry.get_by_role("button", name="Accept Omar Haddad")
    # Wholly inside the queue's own column, not under the chats: the mouse reaches it.
    queue = page.get_by_role("region", name="Queue").bounding_box()
    box = accept.bounding_box()
    assert queue is not None and box is not None
    assert queue["x"] <= box["x"] and box["x"] + box["width"] <= queue["x"] + queue["width"]
    accept.click()  # Playwright clicks only what is on top at that point
    expect(chat(page, "Omar Haddad")).to_be_visible()
    omar.status("assigned")


def test_the_queue_is_worked_with_the_keyboard_alone(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    page = console(new_page, stack, agent_account(name="Ann Lee"))
    set_status(page, "away")
    omar = customers("Omar Haddad")
    ask_for_person(omar)
    omar.status("queued")
    accept = page.get_by_role("button", name="Accept Omar Haddad")
    expect(accept).to_be_visible()
    page.get_by_label("Status").focus()
    for _ in range(10):
        page.keyboard.press("Tab")
        if accept.evaluate("button => button === document.activeElement"):
            break
    expect(accept).to_be_focused()
    page.keyboard.press("Enter")
    # The reply box of the chat just taken has the focus: the agent writes at once.
    expect(chat(page, "Omar Haddad").get_by_label("Reply")).to_be_focused()


def test_a_note_is_its_own_mode_and_never_reaches_the_customer(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    page = console(new_page, stack, agent_account(name="Ann Lee"))
    maria = customers("Maria Garcia")
    with_an_agent(maria)
    panel = chat(page, "Maria Garcia")
    heard_before = len(maria.seen)

    panel.get_by_label("Internal note").check()
    note = panel.get_by_label("Note", exact=True)
    expect(panel.locator(".reply-form")).to_have_class(re.compile("note-mode"))
    expect(panel.get_by_text("the customer never does")).to_be_visible()
    expect(panel.get_by_role("button", name="Send")).to_have_count(0)
    # Typed key by key, as a person would, and Enter: both would reach a customer in a reply.
    note.press_sequentially("Sounded upset; check the refund tomorrow.")
    note.press("Enter")
    expect(panel.locator(".line-note")).to_contain_text("check the refund tomorrow")
    expect(panel.locator(".line-note")).to_contain_text("Note by you")
    # Still a note: a second one in a row cannot slip out to the customer.
    expect(note).to_be_focused()
    expect(panel.get_by_role("button", name="Add note")).to_be_visible()

    panel.get_by_label("To the customer").check()
    reply = panel.get_by_label("Reply")
    # Set without keystrokes, so this reply itself says nothing of typing.
    reply.evaluate("box => { box.value = 'Anything else?'; }")
    panel.get_by_role("button", name="Send").click()
    maria.wait_for("bot_uttered", lambda d: d.get("text") == "Anything else?")
    # Everything the customer heard until the reply, in order: no note, no "typing".
    heard = maria.seen[heard_before:-1]
    assert not any("refund" in str(data) for _, data in heard), heard
    assert not any(event == "typing" for event, _ in heard), heard


def test_away_survives_a_reload_and_agents_who_left_are_not_listed(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    set_status(boss, "away")
    view = boss.context.new_page()  # the supervisor view, in a tab of its own
    view.goto(f"{stack.gateway_url}/agent/supervisor")
    agents = view.locator("#agents-rows")

    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    set_status(ann, "away")
    ann.reload()
    expect(ann.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    expect(ann.get_by_label("Status")).to_have_value("away")
    expect(agents.get_by_role("row").filter(has_text="Ann Lee")).to_contain_text(
        "Away", timeout=15_000
    )
    # The gateway kept her away too: a chat waits in the queue rather than going to her.
    maria = customers("Maria Garcia")
    ask_for_person(maria)
    maria.status("queued")
    expect(queue_entry(ann, "Maria Garcia")).to_be_visible()

    bob = console(new_page, stack, agent_account(name="Bob Ray"))
    expect(agents.get_by_role("row").filter(has_text="Bob Ray")).to_contain_text(
        "Available", timeout=15_000
    )
    # The waiting chat went to Bob at once: he confirms leaving it.
    expect(chat(bob, "Maria Garcia")).to_be_visible()
    bob.get_by_role("button", name="Log out").click()
    bob.get_by_role("dialog").get_by_role("button", name="Log out").click()
    expect(bob.get_by_role("button", name="Log in")).to_be_visible()
    # Gone, not "available (disconnected)".
    expect(agents.get_by_role("row").filter(has_text="Bob Ray")).to_have_count(0, timeout=15_000)


def test_a_scripted_day_on_the_supervisor_view_and_a_live_chat_opened_to_read(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
    screenshot: Callable[[Page, str], object],
) -> None:
    # Early, nobody is on shift: Pat asks for a person and is offered email instead.
    pat = customers("Pat Quinn")
    ask_for_person(pat)
    pat.status("offline")
    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    set_status(boss, "away")
    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    # Lena is served by the bot alone.
    lena = customers("Lena Park")
    lena.say("hello")
    lena.wait_for("bot_uttered")
    # Kim gets Ann, who writes and keeps a note.
    kim = customers("Kim Lo")
    with_an_agent(kim)
    send(ann, "Kim Lo", "Hi Kim, Ann here.")
    kim.say("Thanks, it's about a refund.")
    panel = chat(ann, "Kim Lo")
    expect(panel.get_by_role("log")).to_contain_text("about a refund")
    panel.get_by_label("Internal note").check()
    panel.get_by_label("Note", exact=True).fill("Refund promised by phone last week.")
    panel.get_by_role("button", name="Add note").click()
    expect(panel.locator(".line-note")).to_contain_text("Refund promised")
    # Omar waits while Ann is away, then goes back to the assistant: no agent answered him.
    set_status(ann, "away")
    omar = customers("Omar Haddad")
    ask_for_person(omar)
    omar.status("queued")
    omar.say("/leave_queue")
    omar.status("returned_to_bot")

    view = boss.context.new_page()
    view.goto(f"{stack.gateway_url}/agent/supervisor")
    figures = view.locator("#figures")
    expect(figures.locator("div").filter(has_text="Conversations")).to_contain_text("4")
    expect(figures.locator("div").filter(has_text="bot alone")).to_contain_text("1")
    expect(figures.locator("div").filter(has_text="answered by an agent")).to_contain_text("1")
    expect(figures.locator("div").filter(has_text="no agent answered")).to_contain_text("2")
    expect(view.get_by_role("img", name=re.compile("Who handled"))).to_have_attribute(
        "aria-label", "Who handled today's conversations: Bot alone: 1, An agent: 1, No agent: 2"
    )
    live = view.locator("#live-rows")
    expect(live.get_by_role("row").filter(has_text="Kim Lo")).to_contain_text(
        "With Ann Lee: Asked for a person"
    )
    expect(live.get_by_role("row").filter(has_text="Lena Park")).to_contain_text(
        "Talking with the assistant; last line"
    )

    view.get_by_role("button", name="Open the chat with Kim Lo").click()
    dialog = view.get_by_role("dialog", name="Chat with Kim Lo")
    log = dialog.get_by_role("log")
    expect(log).to_contain_text("about a refund")
    expect(log).to_contain_text("Hi Kim, Ann here.")
    expect(log).to_contain_text("Note by Ann Lee")  # notes are for supervisors' eyes too
    expect(dialog.get_by_role("textbox")).to_have_count(0)  # read only
    assert a11y.problems(view) == []
    screenshot(view, "supervisor-chat")
    view.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # A chat that ended leaves the live list at the next update.
    panel.get_by_role("button", name="Close chat").click()
    ann.get_by_role("dialog").get_by_role("button", name="Confirm close").click()
    kim.status("closed")
    expect(live.get_by_role("row").filter(has_text="Kim Lo")).to_have_count(0, timeout=15_000)
    expect(live.get_by_role("row").filter(has_text="Lena Park")).to_have_count(1)


def is_at_the_newest_line(log: Locator) -> bool:
    return bool(log.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight < 2"))


def test_the_panel_of_a_customer_verified_in_the_chat(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
    accounts: AccountClient,
    screenshot: Callable[[Page, str], object],
) -> None:
    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    # Dana's earlier chat, signed in on the website: served and closed.
    earlier = customers("Dana Whitfield", "ACC-1001")
    with_an_agent(earlier)
    chat(ann, "Dana Whitfield").get_by_role("button", name="Close chat").click()
    ann.get_by_role("dialog").get_by_role("button", name="Confirm close").click()
    earlier.status("closed")
    set_status(ann, "away")

    # Today she is a guest who proves to the bot who she is, half-way through paying.
    dana = customers()
    dana.say("I want to pay my bill")
    dana.bot_says("confirm who you are")
    dana.say("dana@example.com")
    dana.bot_says("last 4 digits")
    dana.say("4821")
    dana.bot_says("How much would you like to pay?")
    ask_for_person(dana)
    dana.status("queued")
    # Long lines, a few (the socket allows bursts of ten events): enough to scroll the log.
    for number in range(1, 4):
        dana.say(f"Still here, line {number}. " + "I really need this sorted out today. " * 4)
    entry = queue_entry(ann, "Dana Whitfield")
    expect(entry).to_contain_text("Still here, line 3.")  # the preview follows what she writes
    entry.get_by_role("button", name="Accept").click()

    panel = chat(ann, "Dana Whitfield")
    expect(queue_entry(ann, "Dana Whitfield")).to_have_count(0)  # at the queue's next push
    profile = panel.locator(".profile")
    expect(profile).to_contain_text("Verified")
    expect(profile).to_contain_text("dana@example.com")
    expect(profile).to_contain_text("14 Harbor View Lane, Portland 97205")
    expect(profile).to_contain_text("$120.50, due 2026-12-15")
    expect(profile).to_contain_text("Visa ending 4242")
    expect(profile).to_contain_text("Paying a bill: was asking for the amount to pay")
    expect(profile).to_contain_text("wants to pay a bill")
    expect(profile).not_to_contain_text("payment_form")
    expect(profile).not_to_contain_text("EXTERNAL_")
    expect(profile).not_to_contain_text("4821")  # what she verified with stays hers
    # (Other tests of the session may have archived chats of this account too.)
    past = profile.get_by_role("list").filter(has_text="Asked for a person")
    expect(past).to_contain_text("resolved")

    # The transcript opens at its newest line, and stays put while the agent reads back.
    log = panel.get_by_role("log")
    expect(log).to_contain_text("Still here, line 3.")
    assert log.evaluate("el => el.scrollHeight > el.clientHeight")
    assert is_at_the_newest_line(log)
    log.evaluate("el => { el.scrollTop = 0; }")
    dana.say("Are you reading this?")
    expect(log).to_contain_text("Are you reading this?")
    assert log.evaluate("el => el.scrollTop") == 0
    log.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    dana.say("One more.")
    expect(log).to_contain_text("One more.")
    assert is_at_the_newest_line(log)

    # The canned greeting (whatever a supervisor made of it) is previewed and filled in with
    # the name the bot verified, never as template code.
    reply = panel.get_by_label("Reply")
    reply.press("Control+k")
    search = panel.get_by_role("combobox", name="Search canned responses")
    search.fill("greeting")
    option = panel.get_by_role("option")
    expect(option).to_contain_text("Dana Whitfield")
    expect(option).not_to_contain_text("{{")
    search.press("Enter")
    expect(reply).to_have_value(re.compile("Dana Whitfield"))
    assert a11y.problems(ann) == []
    screenshot(ann, "console-verified-customer")


def test_my_chats_unread_counts_shortcuts_and_warnings(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    page = console(new_page, stack, agent_account(name="Ann Lee"))
    maria, omar = customers("Maria Garcia"), customers("Omar Haddad")
    with_an_agent(maria, omar)
    my_chats = page.get_by_role("navigation", name="My chats")
    expect(my_chats.get_by_role("button")).to_have_count(2)

    chat(page, "Maria Garcia").get_by_label("Reply").click()
    omar.say("Hello?")
    omar.say("Is anyone there?")
    expect(my_chats.get_by_role("button", name="Omar Haddad, 2 unread (Alt+2)")).to_be_visible()
    page.keyboard.press("Alt+2")
    expect(chat(page, "Omar Haddad").get_by_label("Reply")).to_be_focused()
    expect(my_chats.get_by_role("button", name="Omar Haddad (Alt+2)")).to_be_visible()
    page.keyboard.press("Alt+ArrowUp")
    maria_panel = chat(page, "Maria Garcia")
    expect(maria_panel.get_by_label("Reply")).to_be_focused()
    page.keyboard.press("Alt+n")
    expect(maria_panel.get_by_label("Note", exact=True)).to_be_focused()
    page.keyboard.press("Alt+n")
    expect(maria_panel.get_by_label("Reply")).to_be_focused()

    # Closing a chat Ann never answered: the dialog says so first.
    page.keyboard.press("Alt+x")
    dialog = page.get_by_role("dialog", name="Close the chat")
    expect(dialog).to_contain_text("You have not written to Maria Garcia yet")
    dialog.get_by_role("button", name="Cancel").click()
    send(page, "Maria Garcia", "Hi Maria, Ann here.")
    expect(maria_panel.get_by_role("log")).to_contain_text("Hi Maria, Ann here.")
    page.keyboard.press("Alt+x")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".unanswered")).to_be_hidden()
    dialog.get_by_role("button", name="Cancel").click()

    set_status(page, "away")
    lena = customers("Lena Park")
    ask_for_person(lena)
    lena.status("queued")
    expect(queue_entry(page, "Lena Park")).to_be_visible()
    page.keyboard.press("Alt+a")
    expect(chat(page, "Lena Park")).to_be_visible()
    lena.status("assigned")

    # Logging out with chats open: a warning, and staying is one press away.
    page.get_by_role("button", name="Log out").click()
    leave = page.get_by_role("dialog", name="Log out with chats open?")
    expect(leave).to_contain_text("You have 3 open chats")
    assert a11y.problems(page) == []
    leave.get_by_role("button", name="Stay").click()
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    leave.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # Their chats went back to the queue at once, not after the grace period.
    maria.status("requeued")


# Watches the browser's own Notification API (it still does the work): what was asked, shown.
WATCH_NOTIFICATIONS = """
const Real = window.Notification;
const ask = Real.requestPermission.bind(Real);
window.__asked = 0;
window.__shown = [];
window.Notification = new Proxy(Real, {
  construct(target, args) { window.__shown.push(args[0]); return new target(...args); },
  get(target, name) {
    if (name === "requestPermission") return () => { window.__asked += 1; return ask(); };
    return Reflect.get(target, name);
  },
});
"""


def wait_until_true(page: Page, expression: str, timeout: float = 20.0) -> None:
    """Poll `expression` through `page.evaluate`, which the console's CSP allows.

    `page.wait_for_function` with a string re-evaluates it with the page's own `eval` once the
    first try is false, and the console's `script-src 'self'` refuses that.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


def test_desktop_notifications_are_asked_for_never_assumed(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    page = new_page(permissions=["notifications"])
    page.add_init_script(WATCH_NOTIFICATIONS)
    log_in(page, stack, *agent_account(name="Ann Lee"))
    maria = customers("Maria Garcia")
    with_an_agent(maria)
    expect(chat(page, "Maria Garcia")).to_be_visible()
    expect(page.get_by_label("Show desktop notifications")).not_to_be_checked()
    expect(page.get_by_label("Play a sound")).not_to_be_checked()
    assert page.evaluate("[window.__asked, window.__shown]") == [0, []]

    page.get_by_label("Show desktop notifications").check()
    wait_until_true(page, "window.__asked === 1")
    expect(page.get_by_label("Show desktop notifications")).to_be_checked()
    omar = customers("Omar Haddad")
    with_an_agent(omar)
    wait_until_true(page, "window.__shown.includes('New chat')")
    # Kept in this browser, and not asked again.
    page.reload()
    expect(page.get_by_label("Show desktop notifications")).to_be_checked()
    assert page.evaluate("window.__asked") == 0


def test_the_bots_progress_reads_as_words_and_alt_keys_map_to_actions(
    stack: Stack, new_page: NewPage
) -> None:
    page = new_page()
    page.goto(f"{stack.gateway_url}/health")  # the gateway's origin, to import its modules
    found = page.evaluate(
        """async () => {
        const { botProgress, askedFor } = await import('/static/console/format.js');
        const { shortcutFor } = await import('/static/console/shortcuts.js');
        const packet = {
          active_form: 'payment_form', requested_slot: 'payment_confirmed',
          last_intents: [{ name: 'pay_bill', confidence: 0.97 },
                         { name: 'EXTERNAL_resume_task', confidence: 0 }],
        };
        const key = (code, more = {}) => shortcutFor({ code, altKey: true, ...more });
        return [
          botProgress(packet), botProgress({ active_form: 'new_form' }), botProgress({}),
          askedFor(packet),
          key('Digit3'), key('KeyN'), key('KeyN', { ctrlKey: true }),
          shortcutFor({ code: 'KeyN', altKey: false }),
        ];
      }"""
    )
    assert found == [
        "Paying a bill: was asking for a yes to make the payment",
        "A task with the assistant",
        None,
        "wants to pay a bill",  # the gateway's own intents are never shown
        {"action": "chat", "number": 3},
        {"action": "note"},
        None,
        None,
    ]
