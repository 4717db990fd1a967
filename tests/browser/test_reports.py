"""The supervisor's reports (issue 18) in Chromium: a day's conversations, made here through
real sockets and a real agent console, read back on the reports view and in its CSV file.

The stack and its database are shared by the session's browser tests: this one starts from
an empty archive, so today's report holds exactly the conversations it made.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime, timezone

from playwright.sync_api import Page, expect
from sqlalchemy import delete

from bot.stack import Stack
from core.sql import engine_for
from handoff.records.archive import (
    archived_conversations,
    archived_messages,
    daily_counts,
    ticket_commands,
    ticket_messages,
    tickets,
)
from tests.browser import a11y
from tests.browser.conftest import SCREENSHOTS
from tests.browser.console import (
    AgentAccount,
    NewCustomer,
    NewPage,
    ask_for_person,
    close_chat,
    console,
    send,
    with_an_agent,
)

SECONDS = re.compile(r"^\d+ s$")


def empty_archive(stack: Stack) -> None:
    """Forget what other tests archived and counted (Redis is emptied for each test already)."""
    with engine_for(stack.settings.database_url).begin() as conn:
        for table in (
            ticket_messages,
            ticket_commands,
            archived_messages,
            tickets,
            archived_conversations,
            daily_counts,
        ):
            conn.execute(delete(table))


def figure(page: Page, label: str) -> str:
    """The value shown under a figure's label in the report."""
    term = page.locator("#report-figures dt", has_text=re.compile(f"^{re.escape(label)}"))
    return str(term.locator("xpath=following-sibling::dd").inner_text())


def row(page: Page, table: str, name: str) -> list[str]:
    """The cells of a row of the agents' or skills' table, its name first."""
    found = page.locator(f"#{table} tbody tr").filter(
        has=page.get_by_role("rowheader", name=name, exact=True)
    )
    expect(found).to_have_count(1)
    return [text.strip() for text in found.locator("th, td").all_inner_texts()]


def test_a_days_report_matches_the_conversations_and_its_csv_too(
    stack: Stack,
    new_page: NewPage,
    agent_account: AgentAccount,
    customers: NewCustomer,
) -> None:
    empty_archive(stack)
    today = datetime.now(timezone.utc).date().isoformat()
    # Before anyone is on shift, Pat asks for a person and leaves an email: a ticket.
    pat = customers("Pat Quinn")
    ask_for_person(pat)
    pat.status("offline")
    pat.emit("leave_email", {"email": "pat@example.com", "session_id": pat.session_id})
    pat.status("ticket")
    ann = console(new_page, stack, agent_account(name="Ann Lee", skills=("general",)))
    # Lena is served by the bot alone.
    lena = customers("Lena Park")
    lena.say("hello")
    lena.wait_for("bot_uttered")
    # Kim and Max get Ann: Kim's chat is resolved and rated 4, Max's is not.
    kim, max_ = customers("Kim Lo"), customers("Max Ruiz")
    with_an_agent(kim, max_)
    for customer, name in ((kim, "Kim Lo"), (max_, "Max Ruiz")):
        send(ann, name, f"Hi {name.split()[0]}, Ann here.")
        customer.bot_says("Ann here")
    close_chat(ann, "Kim Lo", "Resolved")
    kim.status("closed")
    kim.emit("csat", {"rating": 4, "session_id": kim.session_id})
    kim.wait_for("handoff", lambda data: data.get("status") == "rated")
    close_chat(ann, "Max Ruiz", "Unresolved")
    max_.status("closed")

    boss = console(new_page, stack, agent_account(role="supervisor", name="Sue Park"))
    boss.goto(f"{stack.gateway_url}/agent/supervisor")
    boss.get_by_label("From").fill(today)
    boss.get_by_label("To (included)").fill(today)
    boss.get_by_role("button", name="Show report").click()
    expect(boss.locator("#report-title")).to_have_text(f"{today} (UTC)")

    assert figure(boss, "Conversations") == "4"
    assert figure(boss, "Handled by the bot alone") == "1 (25%)"
    assert figure(boss, "Handed off to people") == "3"
    assert figure(boss, "Chats closed") == "3"
    assert figure(boss, "Answered by an agent") == "2"
    assert figure(boss, "Resolution rate") == "50%"
    assert figure(boss, "CSAT") == "4.0 of 5 (1)"
    # Pat was never queued (nobody could come): the SLA counts Kim and Max, taken at once.
    assert figure(boss, "SLA met") == "100%"
    assert figure(boss, "Tickets opened") == "1"
    assert figure(boss, "Tickets solved") == "0"  # nobody has answered Pat's yet
    for label in ("Average wait", "p90 wait", "First response", "Handle time"):
        assert SECONDS.match(figure(boss, label)), label
    ann_row = row(boss, "report-agents", "Ann Lee")
    assert (ann_row[0], ann_row[1], ann_row[6:]) == (
        "Ann Lee",
        "2",
        ["50%", "4.0 of 5 (1)", "100%"],
    )
    # An offline handoff keeps its skill and reason on the chat: Pat's chat and ticket count
    # for "general" and "Asked for a person" too.
    general = row(boss, "report-skills", "general")
    assert (general[1], general[6:]) == ("3", ["50%", "4.0 of 5 (1)", "100%", "1", "0"])
    expect(boss.get_by_role("img", name=re.compile("^Who handled them"))).to_have_attribute(
        "aria-label", "Who handled them: Bot alone: 1, Handed off: 3"
    )
    expect(boss.get_by_role("img", name=re.compile("^Tickets"))).to_have_attribute(
        "aria-label", "Tickets: Opened: 1, Solved: 0"
    )
    expect(boss.get_by_role("img", name=re.compile("^Why closed chats"))).to_have_attribute(
        "aria-label", "Why closed chats were handed off: Asked for a person: 3"
    )
    assert a11y.problems(boss) == []

    with boss.expect_download() as download:
        boss.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == f"tandem-report-{today}-to-{today}.csv"
    with open(download.value.path(), encoding="utf-8", newline="") as file:
        rows = {(r["scope"], r["name"]): r for r in csv.DictReader(file)}
    overall = rows[("overall", f"{today} to {today}")]
    assert [overall[k] for k in ("conversations", "bot alone", "containment (%)")] == [
        "4",
        "1",
        "25.0",
    ]
    assert [overall[k] for k in ("handed off", "closed chats", "answered by an agent")] == [
        "3",
        "3",
        "2",
    ]
    assert [overall[k] for k in ("resolution rate (%)", "average CSAT (1-5)", "SLA met (%)")] == [
        "50.0",
        "4.00",
        "100.0",
    ]
    assert (overall["tickets opened"], overall["why handed off: Asked for a person"]) == ("1", "3")
    assert rows[("agent", "Ann Lee")]["closed chats"] == "2"
    assert rows[("skill", "general")]["tickets opened"] == "1"
    assert rows[("day", today)]["conversations"] == "4"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    section = boss.get_by_role("region", name="Reports")
    section.screenshot(path=str(SCREENSHOTS / "supervisor-reports.png"))
