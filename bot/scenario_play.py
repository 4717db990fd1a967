"""Plays scenarios through the real gateway and reads their outcomes in the account backend.

The customer says the scenario's lines in order, each after the bot's reply, then
answers what the bot asks from the scenario's answers, until every task shows
done, the chat reaches a person, the customer has nothing to say, or the turns
run out. Whether a task is done is read where it lands (the account, the
payments, the outbox, the gateway's handoff), never from the bot's wording; only
a balance, which changes nothing, is read from what the bot said.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, func, select

from actions.account_tables import payments, reset_requests, verification_failures
from actions.accounts import Account, AccountClient
from bot.conversation_play import signed_in_agent
from bot.demo import reset_customers
from bot.gateway_client import AgentClient, Customer, NoReply, sender
from bot.scenarios import Scenario, Task
from bot.stack import Stack
from core.mail import Outbox, outbox
from core.sql import engine_for

# How long the bot may take to answer a line, and how quiet it must then stay to have finished.
TURN_TIMEOUT = 20.0
SETTLE_SECONDS = 0.3
# Handoff statuses that mean the chat reached the queue or a person.
REACHED_PERSON = ("queued", "assigned")


class StackSilent(RuntimeError):
    """The stack stopped answering: the measurement cannot go on."""


@dataclasses.dataclass(frozen=True)
class Played:
    """How a scenario went: the turn at which each task showed done, and where it ended."""

    scenario: Scenario
    completed_at: tuple[int | None, ...]  # per task, the customer's turn; None: not done
    turns: int
    handed_off: bool
    ended: str  # why the customer stopped, in words
    last_words: str  # the bot's last reply, where it got stuck if it did
    transcript: tuple[tuple[str, str], ...] = ()  # (who, text): customer, bot or system

    @property
    def completed(self) -> int:
        return sum(1 for turn in self.completed_at if turn is not None)


@dataclasses.dataclass(frozen=True)
class Reply:
    """What came back for one customer line: who said what, and any handoff statuses."""

    lines: tuple[tuple[str, str], ...]
    statuses: tuple[str, ...]

    @property
    def texts(self) -> tuple[str, ...]:
        """What the bot said."""
        return tuple(text for who, text in self.lines if who == "bot")


class Ledger:
    """The customer's account as a scenario found it, to tell what the scenario changed."""

    def __init__(self, database_url: str, account: Account) -> None:
        self.database_url = database_url
        self.account = account
        with engine_for(database_url).connect() as conn:
            self.last_mail = conn.execute(select(func.max(outbox.c.id))).scalar() or 0
            self.receipts = set(
                conn.execute(
                    select(payments.c.receipt).where(payments.c.account_id == account.id)
                ).scalars()
            )

    def done(self, task: Task, said: Sequence[str], handed_off: bool) -> bool:
        """Whether ``task`` shows done, ``said`` being everything the bot said so far."""
        if task.kind == "person":
            return handed_off
        if task.kind == "balance":
            now = AccountClient(self.database_url).get(self.account.id).balance
            figures = {money(self.account.balance), money(now)}
            return any(figure in text for text in said for figure in figures)
        with engine_for(self.database_url).connect() as conn:
            if task.kind == "password_reset":
                mails = select(func.count()).where(
                    outbox.c.id > self.last_mail,
                    func.lower(outbox.c.recipient) == self.account.email.lower(),
                )
                return bool(conn.execute(mails).scalar())
            if task.kind == "bill_payment":
                cents = int(Decimal(task.expected["amount"]) * 100)
                paid = select(payments.c.receipt).where(
                    payments.c.account_id == self.account.id, payments.c.amount_cents == cents
                )
                return bool(set(conn.execute(paid).scalars()) - self.receipts)
        account = AccountClient(self.database_url).get(self.account.id)
        held = {"street": account.street, "city": account.city, "postal_code": account.postal_code}
        return all(same_words(held[part], value) for part, value in task.expected.items())


def money(amount: Decimal) -> str:
    """An amount as the bot would write it: 1,234.50."""
    return f"{amount:,.2f}"


def same_words(held: str, expected: str) -> bool:
    """Equal but for case, spaces and punctuation: "22 maple st." is "22 Maple St"."""

    def words(text: str) -> list[str]:
        return "".join(c if c.isalnum() or c == "-" else " " for c in text.lower()).split()

    return words(held) == words(expected)


def fresh_start(database_url: str, account_id: str) -> Ledger:
    """The demo accounts as written, no lockout or reset limit left by an earlier scenario.

    Every scenario is another customer; all of them come from this machine, so the
    failed identity checks and reset requests of one would count against the next.
    """
    reset_customers(database_url)
    Outbox(database_url).create_schema()
    with engine_for(database_url).begin() as conn:
        conn.execute(delete(verification_failures))
        conn.execute(delete(reset_requests))
    return Ledger(database_url, AccountClient(database_url).get(account_id))


def read_reply(customer: Customer) -> Reply:
    """Everything the customer receives for a line, until the socket has been quiet a while."""
    try:
        first = customer.next_event(("bot_uttered", "handoff"), timeout=TURN_TIMEOUT)
    except NoReply:
        return Reply((), ())
    events = [first, *customer.drain(SETTLE_SECONDS)]
    lines = tuple(
        (sender(data) or "bot", str(data["text"]))
        for name, data in events
        if name in ("bot_uttered", "handoff") and data.get("text")
    )
    statuses = tuple(str(data.get("status")) for name, data in events if name == "handoff")
    return Reply(lines, statuses)


def play(scenario: Scenario, stack: Stack, agent: AgentClient) -> Played:
    """Play ``scenario`` from fresh accounts; raises StackSilent if the stack stopped answering."""
    ledger = fresh_start(stack.settings.database_url, scenario.customer)
    customer = Customer(stack)
    script = list(scenario.says)
    said: list[str] = []
    transcript: list[tuple[str, str]] = []
    completed_at: list[int | None] = [None] * len(scenario.tasks)
    turns, handed_off, last_words = 0, False, ""
    try:
        customer.start()
        while True:
            to_do = [
                t.kind for t, at in zip(scenario.tasks, completed_at, strict=True) if at is None
            ]
            line = script.pop(0) if script else scenario.answer(last_words, to_do)
            if line is None:
                ended = "had no answer to the bot's last words"
                break
            if turns == scenario.turn_limit:
                ended = f"gave up after {turns} turns"
                break
            customer.say(line)
            turns += 1
            transcript.append(("customer", line))
            reply = read_reply(customer)
            transcript += reply.lines
            if not reply.lines and not reply.statuses:
                if not (stack.ready("rasa") and stack.ready("gateway")):
                    raise StackSilent(f"the stack stopped answering during “{scenario.name}”")
                ended = f"got no reply within {TURN_TIMEOUT:.0f} s"
                break
            said.extend(reply.texts)
            last_words = " ".join(reply.texts) or last_words
            handed_off = handed_off or any(s in REACHED_PERSON for s in reply.statuses)
            for index, task in enumerate(scenario.tasks):
                if completed_at[index] is None and ledger.done(task, said, handed_off):
                    completed_at[index] = turns
            if None not in completed_at:
                ended = "done"
                break
            if handed_off:
                ended = "reached a person"
                break
            if "offline" in reply.statuses:
                ended = "asked for a person, but no one could take the chat"
                break
    finally:
        if handed_off:
            release(agent, customer.session_id)
        customer.close()
    return Played(
        scenario, tuple(completed_at), turns, handed_off, ended, last_words, tuple(transcript)
    )


def release(agent: AgentClient, conversation_id: str) -> None:
    """The agent takes the chat the scenario handed over and closes it, to stay free."""
    try:
        agent.wait_for("assigned", lambda d: d["conversation"]["id"] == conversation_id, 10)
    except NoReply:
        return
    agent.act("close", conversation_id=conversation_id, resolution="resolved")


def play_all(scenarios: Sequence[Scenario], stack: Stack) -> list[Played]:
    """Play every scenario, one after the other, with one agent ready to take handoffs."""
    agent = signed_in_agent(stack)
    results = []
    try:
        for scenario in scenarios:
            result = play(scenario, stack, agent)
            done = f"{result.completed}/{len(scenario.tasks)}"
            print(f"  {done} tasks, {result.turns:>2} turns  {scenario.name}", flush=True)
            results.append(result)
    finally:
        agent.close()
    return results
