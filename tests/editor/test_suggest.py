"""`python -m bot suggest` on an archive made by real conversations through the gateway.

Customers and an agent talk over real sockets (as in tests/gateway/); the agent
closes each chat, which archives it in SQL; `suggest` then reads that archive.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import delete

from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack
from bot.suggest import Said, draft, group, main, moments
from core.settings import Settings
from core.sql import engine_for
from handoff.records.archive import archived_conversations, archived_messages, tickets

HANDLED_BY_PEOPLE = "a person on our team handles"
NOT_UNDERSTOOD = "I didn't quite get that"
NOT_UNDERSTOOD_TWICE = "I'm not understanding"
# Said before a handoff the bot makes for a topic it does not serve (billing disputes).
DISPUTES = [
    "I was charged twice for my bill this month",
    "why was I charged twice on my bill",
    "you charged me twice this month",
]
# Said twice in a row, so the bot falls back and then hands over (repeated_fallback).
# Gibberish the model must fall back on (test-bot's evaluation fails the content otherwise, so
# a content change shows there, not here), alike enough to be grouped.
UNCLEAR = ["zzqx vrrk plonk", "plonk zzqx vrrk"]


def empty_archive(database_url: str) -> None:
    """The session's stack is shared: start from an archive with nothing in it."""
    engine = engine_for(database_url)
    with engine.begin() as conn:
        for table in (archived_messages, tickets, archived_conversations):
            conn.execute(delete(table))
    engine.dispose()


def chat_then_close(stack: Stack, agent: AgentClient, *turns: tuple[str, str]) -> None:
    """One customer's (line, what the bot answers) turns end in a handoff; the agent closes."""
    customer = Customer(stack)
    try:
        customer.start()
        for line, answer in turns:
            customer.say(line)
            customer.bot_says(answer)
        agent.wait_for("assigned", lambda d: d["conversation"]["id"] == customer.session_id)
        agent.act("close", conversation_id=customer.session_id, resolution="resolved")
        customer.status("closed")
    finally:
        customer.close()


def test_suggest_groups_what_customers_said_before_a_handoff_or_fallback(
    stack: Stack,
    empty_redis: None,
    agent_account: Callable[..., tuple[str, str]],
    tmp_path: Path,
) -> None:
    empty_archive(stack.settings.database_url)
    agent = AgentClient(stack)
    try:
        agent.login(*agent_account(skills=("account", "billing", "general"), capacity=10))
        for line in DISPUTES:
            chat_then_close(stack, agent, (line, HANDLED_BY_PEOPLE))
        first, second = UNCLEAR
        chat_then_close(stack, agent, (first, NOT_UNDERSTOOD), (second, NOT_UNDERSTOOD_TWICE))
        chat_then_close(stack, agent, ("can I talk to a person", "connecting you to a person"))
    finally:
        agent.close()

    out = tmp_path / "suggestions.yml"
    assert main(stack.settings, out=out) == 0

    suggestions = yaml.safe_load(out.read_text(encoding="utf-8"))["suggestions"]
    # Within a group, lines come most said first; equally said ones in archive order.
    groups = [(s["count"], s["before"], sorted(s["examples"].splitlines())) for s in suggestions]
    assert groups == [
        (
            3,
            "handoff (unsupported_topic) x3",
            sorted(f"- {line}" for line in DISPUTES),
        ),
        (
            2,
            "fallback x1, handoff (repeated_fallback) x1",
            sorted(f"- {line}" for line in UNCLEAR),
        ),
        (1, "handoff (explicit_request) x1", ["- can I talk to a person"]),
    ]


@dataclasses.dataclass
class Line:
    kind: str
    text: str
    data: str = "{}"


def test_only_what_was_said_to_the_bot_counts() -> None:
    """Messages to the agent are not the bot's misses; after a hand-back they count again."""
    transcript = [
        Line("customer", "blah"),
        Line("bot", "Sorry?"),
        Line("customer", "agent"),
        Line("system", "queued", '{"status": "queued"}'),
        Line("system", "assigned", '{"status": "assigned"}'),
        Line("customer", "my router is broken"),
        Line("system", "back", '{"status": "returned_to_bot"}'),
        Line("customer", "blah blah"),
        Line("bot", "Sorry?"),
    ]
    assert moments(transcript, {"Sorry?"}, "explicit_request") == [
        Said("blah", "fallback"),
        Said("agent", "handoff (explicit_request)"),
        Said("blah blah", "fallback"),
    ]


def test_alike_messages_share_a_group_and_card_numbers_never_show() -> None:
    said = [
        Said("my modem light keeps blinking red", "fallback"),
        Said("the modem light is blinking red", "fallback"),
        Said("pay with 4111 1111 1111 1111", "fallback"),
    ]
    groups = group(said)
    assert [sorted(g.texts) for g in groups] == [
        ["my modem light keeps blinking red", "the modem light is blinking red"],
        ["pay with 4111 1111 1111 1111"],
    ]
    written = draft(groups, conversations=3)
    assert "- pay with [card ending 1111]" in written
    assert "4111 1111" not in written


def test_an_empty_archive_says_where_it_looked_and_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'empty.db'}"
    settings = dataclasses.replace(Settings.from_env({}), database_url=database)
    assert main(settings, out=tmp_path / "suggestions.yml") == 0
    assert capsys.readouterr().out == (
        f"No archived conversations in {database} (DATABASE_URL), so nothing to suggest. Chats "
        "are archived when an agent closes them in the console: let the bot and agents talk to "
        "customers for a while (`make run`), or set DATABASE_URL to the database your deployment "
        "uses, and run this again.\n"
    )
    assert "suggestions: []" in (tmp_path / "suggestions.yml").read_text(encoding="utf-8")
