"""Data protection through the real stack: cards, typed secrets, demo seeding, outbox, secrets."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import jwt
import pytest
from sqlalchemy import text

from actions.accounts import AccountClient
from bot.demo import demo_allowed, seed_customers
from bot.gateway_client import Customer
from bot.stack import Stack
from core.settings import ROOT, Settings
from core.sql import engine_for
from handoff.customer_tokens import sign_customer_token
from tests.conftest import CUSTOMER_TOKEN_SECRET, user_turns, verify_as_dana

NewCustomer = Callable[[], Customer]
LINK = re.compile(r"reset-password\?token=[\w-]+")


def test_card_numbers_in_unusual_formats_never_reach_storage_in_clear(
    stack: Stack, customer: NewCustomer
) -> None:
    chat = customer()
    chat.start()
    typed = ["4111.1111.1111.1111", "4111  1111\u20031111\u20131111", "4111/1111/1111/1111"]
    for card in typed:
        chat.say(f"my card is {card}")
        echo = chat.wait_for("user_message")
        assert echo["text"] == "my card is [card ending 1111]"
    history = chat.start(chat.session_id)  # what a reconnect replays
    stored = " ".join(m["text"] for m in history["messages"])
    turns = " ".join(user_turns(stack, chat.session_id))
    for where in (stored, turns):
        assert "1111" not in where.replace("[card ending 1111]", "")


@pytest.mark.usefixtures("accounts")
def test_the_answer_to_the_phone_digits_question_is_stored_masked(
    stack: Stack, customer: NewCustomer
) -> None:
    dana = customer()
    dana.start()
    verify_as_dana(dana)  # the bot still got the digits
    history = dana.start(dana.session_id)
    lines = [m["text"] for m in history["messages"] if m["metadata"]["sender"] == "customer"]
    assert "••••" in lines and "4821" not in " ".join(lines)


def test_demo_people_go_only_into_the_embedded_database_and_never_overwrite(
    tmp_path: Path,
) -> None:
    elsewhere = Settings.from_env({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"})
    assert not demo_allowed(elsewhere)
    assert demo_allowed(dataclasses.replace(elsewhere, demo=True))
    assert demo_allowed(Settings.from_env({}))  # the SQLite file under var/
    url = elsewhere.database_url
    seed_customers(url)
    client = AccountClient(url)
    client.pay("ACC-1001", Decimal("20.00"), "key-1")
    assert seed_customers(url) == 0
    assert client.get("ACC-1001").balance == Decimal("100.50")
    client.close()


@pytest.mark.usefixtures("accounts")
def test_reset_links_are_not_kept_in_clear_in_the_outbox(
    stack: Stack, customer: NewCustomer
) -> None:
    chat = customer()
    chat.start()
    chat.say("I forgot my password")
    chat.bot_says("email address or username")
    chat.say("dana@example.com")
    chat.bot_says("reset link is on its way")
    with engine_for(stack.settings.database_url).connect() as conn:
        bodies = [row.body for row in conn.execute(text("SELECT body FROM outbox"))]
    assert bodies and not any(LINK.search(body) or "Hello" in body for body in bodies)
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "accounts", "outbox", "--limit", "1"],
        cwd=ROOT,
        env={**stack.settings.child_env(), "DATABASE_URL": stack.settings.database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert LINK.search(shown)  # the operator still reads the link


def environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode() for key, value in pairs}


def test_each_process_holds_only_its_own_secrets(stack: Stack) -> None:
    envs = {name: environ(pid) for name, pid in stack.pids().items() if name != "redis"}
    assert set(envs) == {"actions", "rasa", "gateway"}
    holders = {
        variable: sorted(name for name, env in envs.items() if env.get(variable))
        for variable in (
            "SECRET_KEY",
            "CUSTOMER_TOKEN_SECRET",
            "RASA_TOKEN",
            "ACTIONS_TOKEN",
            "METRICS_TOKEN",
        )
    }
    assert holders == {
        "METRICS_TOKEN": ["gateway"],
        "SECRET_KEY": ["gateway"],
        "CUSTOMER_TOKEN_SECRET": ["gateway"],
        "RASA_TOKEN": ["gateway", "rasa"],
        "ACTIONS_TOKEN": ["actions", "rasa"],
    }
    assert "DATABASE_URL" not in envs["rasa"] and "MAIL_FROM" not in envs["rasa"]


def test_customer_tokens_without_audience_or_issuer_or_with_a_long_life_are_refused(
    customer: NewCustomer,
) -> None:
    good = sign_customer_token("ACC-1001", "Dana", CUSTOMER_TOKEN_SECRET)
    claims = jwt.decode(good, CUSTOMER_TOKEN_SECRET, algorithms=["HS256"], audience="tandem-chat")
    no_audience = {k: v for k, v in claims.items() if k != "aud"}
    forever = {**claims, "exp": claims["iat"] + 30 * 86400}
    # signed with the real secret: only the claims are wrong
    for bad in (no_audience, forever, {**claims, "iss": "someone-else"}):
        chat = customer()
        chat.connect()
        token = jwt.encode(bad, CUSTOMER_TOKEN_SECRET, algorithm="HS256")
        chat.emit("session_request", {"session_id": None, "customer_token": token})
        error = chat.wait_for("error", lambda e: e.get("code") == "invalid_customer_token")
        assert "Continuing as a guest" in error["message"]
