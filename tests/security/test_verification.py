"""In-chat verification through the real stack: lockout, alerts, expiry and no carry-over."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import requests
from sqlalchemy import delete, insert

from actions.account_tables import accounts, verification_failures
from bot.gateway_client import AgentClient, Customer
from bot.stack import Stack
from core.sql import engine_for
from tests.conftest import RASA_TOKEN, verify_as_dana

NewCustomer = Callable[[], Customer]
NewAgent = Callable[..., tuple[AgentClient, str]]

FAILED = "don't match an account"
LOCKED = "can't check those details again"


@pytest.fixture
def no_failures(stack: Stack) -> Iterator[None]:
    """Every test here starts, and leaves the stack, with no failed checks counted."""
    engine = engine_for(stack.settings.database_url)
    with engine.begin() as conn:
        conn.execute(delete(verification_failures))
    yield
    with engine.begin() as conn:
        conn.execute(delete(verification_failures))


@pytest.fixture
def victim(stack: Stack) -> str:
    """A fresh account whose phone ends in 1357; returns its email."""
    number = uuid.uuid4().int % 10**6
    email = f"victim-{number}@example.com"
    with engine_for(stack.settings.database_url).begin() as conn:
        conn.execute(
            insert(accounts).values(
                id=f"ACC-{number}",
                name="Vic Tim",
                email=email,
                username=f"victim{number}",
                phone_last4="1357",
                street="1 Main St",
                city="Springfield",
                postal_code="62704",
                balance_cents=1000,
                due_date=date(2030, 1, 1),
                card_brand="Visa",
                card_last4="4242",
                card_status="ok",
            )
        )
    return email


def guess(customer: NewCustomer, identifier: str, digits: str) -> str:
    """One identity check in a brand-new conversation; the bot's answer to the digits."""
    chat = customer()
    chat.start()
    chat.say("what's my balance")
    chat.bot_says("confirm who you are")
    chat.say(identifier)
    chat.bot_says("last 4 digits")
    chat.say(digits)
    reply: dict = chat.wait_for(
        "bot_uttered", lambda d: any(s in d.get("text", "") for s in (FAILED, LOCKED, "verified"))
    )
    return str(reply["text"])


@pytest.mark.usefixtures("no_failures", "accounts")
def test_brute_forcing_the_phone_digits_locks_the_account_and_alerts_supervisors(
    customer: NewCustomer, agent: NewAgent, victim: str
) -> None:
    boss, _ = agent(role="supervisor")
    answers = [guess(customer, victim, digits) for digits in ("0000", "1111", "2222")]
    assert [FAILED in answer for answer in answers] == [True, True, False]
    assert LOCKED in answers[2]
    alert = boss.wait_for("security_alert")
    assert alert["kind"] == "verification_locked" and alert["conversation_id"]
    # Locked: even the right digits, in yet another new conversation, are refused.
    assert LOCKED in guess(customer, victim, "1357")


@pytest.mark.usefixtures("no_failures", "accounts")
def test_a_lockout_reads_the_same_whether_or_not_the_account_exists(
    stack: Stack, customer: NewCustomer, victim: str
) -> None:
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    answers = {}
    for identifier in (victim, unknown):
        answers[identifier] = [guess(customer, identifier, "0000") for _ in range(3)]
        with engine_for(stack.settings.database_url).begin() as conn:
            conn.execute(delete(verification_failures))  # the client's count starts again
    assert answers[victim] == answers[unknown]
    assert LOCKED in answers[unknown][2]


@pytest.mark.usefixtures("no_failures", "accounts")
def test_one_client_guessing_across_accounts_is_locked_out(customer: NewCustomer) -> None:
    answers = [
        guess(customer, f"n{i}-{uuid.uuid4().hex[:6]}@example.com", "0000") for i in range(5)
    ]
    assert [LOCKED in answer for answer in answers] == [False] * 4 + [True]


def slots(stack: Stack, conversation_id: str) -> dict:
    tracker = requests.get(
        f"{stack.rasa_url}/conversations/{conversation_id}/tracker",
        params={"token": RASA_TOKEN},
        timeout=10,
    ).json()
    return dict(tracker["slots"])


def rasa(stack: Stack, conversation_id: str, path: str, body: Any) -> None:
    response = requests.post(
        f"{stack.rasa_url}/conversations/{conversation_id}/{path}",
        params={"token": RASA_TOKEN},
        json=body,
        timeout=30,
    )
    response.raise_for_status()


@pytest.mark.usefixtures("no_failures", "accounts")
def test_verified_expires_and_never_carries_over_to_a_new_session(
    stack: Stack, customer: NewCustomer
) -> None:
    dana = customer()
    dana.start()
    verify_as_dana(dana)
    assert slots(stack, dana.session_id)["verified"] is True
    # 16 minutes later (as the tracker sees it), the verification has lapsed.
    stale = time.time() - 16 * 60
    rasa(
        stack,
        dana.session_id,
        "tracker/events",
        [{"event": "slot", "name": "verified_at", "value": stale}],
    )
    dana.say("what's my balance")
    dana.bot_says("confirm who you are")
    # A new session starts with nothing of the old one.
    rasa(
        stack,
        dana.session_id,
        "tracker/events",
        [{"event": "slot", "name": "verified", "value": True}],
    )
    rasa(stack, dana.session_id, "execute", {"name": "action_session_start"})
    assert slots(stack, dana.session_id)["verified"] is None
