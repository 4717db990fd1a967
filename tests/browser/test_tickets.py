"""The ticket inbox (issue 18) in Chromium, on the real stack: a customer nobody could serve
leaves an email in the widget; an agent finds the ticket in the console, reads the chat it came
from, answers with a canned response edited by hand and keeps a note; the answer is in the
outbox, the note is not; the customer's emailed reply, posted to the inbound webhook with the
provider's signature, reopens the ticket and shows up in it; a supervisor sees the backlog.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Callable

import requests
from playwright.sync_api import Page, Route, expect

from bot.stack import Stack
from core.mail import Outbox
from tests.browser import a11y
from tests.browser.console import (
    AgentAccount,
    NewCustomer,
    NewPage,
    close_chat,
    console,
    send,
    with_an_agent,
)
from tests.browser.widget import demo

REFERENCE = re.compile(r"TKT-[0-9A-F]{8}")
# The customer's reply carries markup, which the console must show as typed.
REPLY = "Still no refund <b>at all</b>. Please check again."


# The console's words for SLA clocks and ticket titles (static/console/format.js).
SLA_CLOCKS = """async () => {
  const f = await import('/static/console/format.js');
  const ticket = { id: 'TKT-1', status: 'open', due_at: 100000, breached: false };
  return [
    f.slaClock(ticket, 100000 - 3 * 3600 - 300).text,
    f.slaClock(ticket, 100090).text,
    f.slaClock({ ...ticket, breached: true }, 90000).text,
    f.slaClock({ ...ticket, status: 'solved' }, 0),
    f.roughDuration(2 * 86400 + 3600),
    f.ticketTitle({ id: 'TKT-1', subject: 'Your request TKT-1' }),
  ];
}"""


def mail_to(stack: Stack, address: str) -> list[tuple[str, str]]:
    """(subject, body) of every mail the outbox keeps for ``address``."""
    outbox = Outbox.from_settings(stack.settings)
    try:
        return [(mail.subject, mail.body) for mail in outbox.newest(200) if mail.to == address]
    finally:
        outbox.close()


def post_inbound_mail(stack: Stack, sender: str, subject: str, text: str) -> requests.Response:
    """The customer's reply as a mail provider posts it, signed with the webhook's key."""
    timestamp, token = str(int(time.time())), uuid.uuid4().hex
    key = stack.settings.inbound_mail_key.encode()
    signature = hmac.new(key, (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return requests.post(
        f"{stack.gateway_url}/inbound/mail",
        data={
            "sender": sender,
            "recipient": "support@tandem.example",
            "subject": subject,
            "body-plain": text,
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
        timeout=10,
    )


def fits(page: Page, width: int) -> bool:
    """At ``width`` pixels the page needs no sideways scrolling."""
    page.set_viewport_size({"width": width, "height": 900})
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_offline_customers_ticket_is_answered_by_email_and_their_reply_reopens_it(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    screenshot: Callable[[Page, str], object],
) -> None:
    address = f"dana-{uuid.uuid4().hex[:6]}@example.com"
    widget = demo(new_page, stack)
    widget.open()
    widget.say("I want to talk to a person about my refund")
    expect(widget.messages("system").last).to_contain_text("No one from our team is available")
    form = widget.page.get_by_role("form", name="Leave your email")
    form.get_by_label("Your email address").fill(address)
    form.get_by_role("button", name="Email me").click()
    left = widget.messages("system").filter(has_text="Your reference is")
    expect(left).to_have_count(1)
    found = REFERENCE.search(left.inner_text())
    assert found, left.inner_text()
    reference = found.group()

    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    # The keyboard reaches the inbox: the views are tabs.
    chats_tab = ann.get_by_role("tab", name=re.compile("^Chats"))
    tickets_tab = ann.get_by_role("tab", name=re.compile("^Tickets"))
    chats_tab.focus()
    chats_tab.press("ArrowRight")
    expect(tickets_tab).to_be_focused()
    expect(tickets_tab).to_have_attribute("aria-selected", "true")
    to_take = ann.get_by_role("region", name=re.compile("^To take"))
    row = to_take.get_by_role("listitem").filter(has_text=reference)
    expect(row).to_contain_text(address)
    expect(row).to_contain_text("Open")
    expect(row.locator(".sla")).to_have_text(re.compile(r"left$"))
    row.get_by_role("button", name=re.compile(f"^{reference}")).click()

    ticket = ann.get_by_role("article", name=re.compile(f"^{reference}"))
    expect(ticket.get_by_role("heading", name=re.compile(f"^{reference}"))).to_be_focused()
    # The chat it came from, and the customer's address, beside the thread.
    expect(ticket.get_by_role("log", name="Chat transcript")).to_contain_text(
        "talk to a person about my refund"
    )
    expect(ticket.locator("#ticket-profile")).to_contain_text(address)
    ticket.get_by_role("button", name="Take").click()
    mine = ann.get_by_role("region", name=re.compile("^Mine"))
    expect(mine.get_by_role("listitem").filter(has_text=reference)).to_be_visible()

    # A note first: kept on the ticket, marked as such, and never mailed. The server's first
    # answer is lost on the way: the console asks again with the same message id, and the
    # note is kept once.
    notes: list[dict[str, str]] = []

    def lose_the_first_answer(route: Route) -> None:
        notes.append(json.loads(route.request.post_data or "{}"))
        if len(notes) == 1:
            route.fetch()  # the server keeps the note...
            route.abort()  # ...and its answer never arrives
        else:
            route.continue_()

    ann.route("**/agent/api/tickets/*/note", lose_the_first_answer)
    ticket.get_by_label("Internal note").check()
    ticket.get_by_label("Note", exact=True).fill("Refund 4411 went out on Monday.")
    ticket.get_by_role("button", name="Add note").click()
    thread = ticket.get_by_role("log", name=re.compile("^Ticket thread"))
    expect(thread.locator(".mail-note")).to_contain_text("Refund 4411 went out on Monday.")
    expect(thread.locator(".mail-note")).to_contain_text("Note by you")
    assert [note["message_id"] for note in notes] == [notes[0]["message_id"]] * 2
    ann.unroute("**/agent/api/tickets/*/note")
    kept = ann.evaluate(
        "(url) => fetch(url).then((answer) => answer.json())", f"/agent/api/tickets/{reference}"
    )
    assert [message["direction"] for message in kept["messages"]] == ["note"]

    # The answer: a canned response, edited by hand, sent by email.
    ticket.get_by_label("Email to the customer").check()
    reply = ticket.get_by_label("Reply", exact=True)
    reply.press("/")
    search = ticket.get_by_role("combobox", name="Search canned responses")
    expect(search).to_be_focused()
    search.fill("one moment")
    search.press("Enter")
    expect(reply).to_have_value(re.compile("^Thanks for waiting"))
    reply.press("End")
    reply.press_sequentially(" Your refund left us on Monday.")
    ticket.get_by_role("button", name="Send email").click()
    expect(thread.locator(".mail-out")).to_contain_text("Your refund left us on Monday.")
    expect(ticket.locator("#ticket-meta")).to_contain_text("Pending customer")
    expect(reply).to_have_value("")

    mails = mail_to(stack, address)
    answers = [body for subject, body in mails if reference in subject and "Monday" in body]
    assert len(answers) == 1, mails
    assert answers[0].startswith("Thanks for waiting")
    assert not any("4411" in body for _, body in mails)  # the note stayed inside

    # The customer answers the email: the ticket reopens, and the reply shows in it as text.
    posted = post_inbound_mail(stack, address, f"Re: [{reference}] Your request", REPLY)
    assert posted.status_code == 202, posted.text
    expect(thread.locator(".mail-in").filter(has_text=REPLY)).to_be_visible(timeout=15_000)
    expect(thread.locator("b")).to_have_count(0)
    expect(ticket.locator("#ticket-meta")).to_contain_text("Open")
    expect(ticket.get_by_role("button", name="Mark solved", exact=True)).to_be_visible()
    assert a11y.problems(ann) == []
    screenshot(ann, "console-tickets")
    assert ann.evaluate(SLA_CLOCKS) == [
        "3 h 5 min left",
        "Overdue by 1 min",
        "Overdue",  # answered late: breached, whatever the clock says
        None,  # solved: no clock
        "2 d 1 h",
        "TKT-1",  # a subject that only repeats the reference is not shown twice
    ]
    for width in (1920, 1024, 700):
        assert fits(ann, width), f"the inbox overflows at {width} px"

    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    boss.goto(f"{stack.gateway_url}/agent/supervisor")
    tickets = boss.get_by_role("region", name="Tickets", exact=True)
    backlog = tickets.locator("#ticket-backlog")
    expect(backlog.locator("div").filter(has_text="Open")).to_contain_text(re.compile(r"[1-9]"))
    listed = tickets.get_by_role("row").filter(has_text=reference)
    expect(listed).to_contain_text("Ann Lee")
    expect(listed).to_contain_text("Open")
    assert a11y.problems(boss) == []


def test_an_agent_closes_a_chat_for_a_follow_up_by_email_and_finds_its_ticket(
    stack: Stack, new_page: NewPage, agent_account: AgentAccount, customers: NewCustomer
) -> None:
    address = f"omar-{uuid.uuid4().hex[:6]}@example.com"
    ann = console(new_page, stack, agent_account(name="Ann Lee"))
    omar = customers("Omar Haddad")
    with_an_agent(omar)
    send(ann, "Omar Haddad", "I'll check with billing and write to you.")
    omar.bot_says("check with billing")

    close_chat(ann, "Omar Haddad", "Unresolved", follow_up_email=address)

    closed = omar.status("closed")
    expect(ann.locator("#announcer")).to_contain_text("is in your Tickets")
    found = REFERENCE.search(ann.locator("#announcer").inner_text())
    assert found, ann.locator("#announcer").inner_text()
    reference = found.group()
    assert "csat_request" in closed
    [(subject, _)] = mail_to(stack, address)
    assert reference in subject

    ann.get_by_role("tab", name=re.compile("^Tickets")).click()
    mine = ann.get_by_role("region", name=re.compile("^Mine"))
    expect(mine.get_by_role("listitem").filter(has_text=reference)).to_contain_text(address)
