"""The action server dies during a payment: the card is charged at most once, and at their next
turn the customer is told what really happened, without confirming again.

Each test holds the customer's account row locked (PostgreSQL's ``FOR UPDATE``), so the charge
waits inside its transaction exactly where the test wants it; no sleep decides the order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select

from actions.account_tables import accounts, payment_attempts, payments
from actions.accounts import Account, AccountClient
from bot.demo import reset_customers
from bot.gateway_client import Client, Customer, sender
from bot.stack import Stack
from core.sql import engine_for
from tests.clusters import back_up, crash, new_agent, new_customer, wait_until
from tests.faults.lines import Tally

WENT_THROUGH = "About your payment: it went through. $50.00 was paid"
NOT_MADE = "About your payment of $50.00: it did not go through, and nothing was charged"
TOO_LONG = "taking longer than it should"


def dana_account(cluster: Stack) -> Account:
    """Dana, reseeded (her balance as in data/demo), on the cluster's PostgreSQL."""
    if not cluster.settings.database_url.startswith("postgresql"):
        pytest.fail("these tests lock a row: run them on PostgreSQL (make test-cluster)")
    reset_customers(cluster.settings.database_url)
    client = AccountClient(cluster.settings.database_url)
    account = client.find("dana@example.com")
    client.close()
    assert account is not None
    return account


def up_to_the_go_ahead(dana: Customer) -> None:
    """Dana asks to pay, proves who she is and names $50: the bot asks her to confirm."""
    dana.say("I want to pay my bill")
    dana.bot_says("confirm who you are")
    dana.say("dana@example.com")
    dana.bot_says("last 4 digits")
    dana.say("4821")
    dana.bot_says("How much would you like to pay?")
    dana.say("50")
    dana.bot_says("I'll pay $50.00")


@contextlib.contextmanager
def account_locked(cluster: Stack, account: Account) -> Iterator[Callable[[], None]]:
    """Hold the account's row: a charge waits for it mid-transaction (``NO KEY``: the attempt's
    row, whose key refers to it, is still written first). Yields ``release``."""
    conn = engine_for(cluster.settings.database_url).connect()
    held = conn.begin()
    conn.execute(
        select(accounts.c.id).where(accounts.c.id == account.id).with_for_update(key_share=True)
    )
    try:
        yield held.rollback
    finally:
        if held.is_active:
            held.rollback()
        conn.close()


def attempts(cluster: Stack, account: Account) -> dict[str, str]:
    """The account's payment attempts: key -> status."""
    with engine_for(cluster.settings.database_url).connect() as conn:
        rows = conn.execute(
            select(payment_attempts.c.idempotency_key, payment_attempts.c.status).where(
                payment_attempts.c.account_id == account.id
            )
        )
        return {row.idempotency_key: row.status for row in rows}


def charges(cluster: Stack, key: str) -> int:
    with engine_for(cluster.settings.database_url).connect() as conn:
        count: int = conn.execute(
            select(func.count()).select_from(payments).where(payments.c.idempotency_key == key)
        ).scalar_one()
    return count


def new_attempt(cluster: Stack, account: Account, before: dict[str, str]) -> str:
    """The key of the attempt the action wrote down since ``before``, once it is there."""
    wait_until(lambda: len(attempts(cluster, account)) > len(before), 30, "the attempt written")
    [key] = set(attempts(cluster, account)) - set(before)
    return key


def bot_lines(customer: Customer) -> list[str]:
    return [d["text"] for e, d in customer.seen if e == "bot_uttered" and sender(d) == "bot"]


def test_the_action_server_killed_mid_charge_charges_nothing_and_says_so(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    cluster = fresh_cluster
    told = tally("payment killed mid-charge: outcome told")
    account = dana_account(cluster)
    new_agent(cluster, clients)  # someone to offer
    dana = new_customer(cluster, clients)
    up_to_the_go_ahead(dana)

    before = attempts(cluster, account)
    with account_locked(cluster, account):
        dana.say("yes")
        key = new_attempt(cluster, account, before)  # the charge now waits for the row
        crash(cluster, "actions")  # its transaction dies with it
    offer = dana.status("bot_unavailable", timeout=60)  # never silence
    back_up(cluster, "actions")
    dana.say("hello")  # anything: not a second "yes"
    dana.bot_says(NOT_MADE, timeout=60)

    told.sent, told.received = ["not charged"], ["not charged"] * (charges(cluster, key) == 0)
    told.note = f"the turn: {offer['status']}; the next: {NOT_MADE}"
    told.check()
    assert attempts(cluster, account)[key] == "abandoned"
    assert sum(NOT_MADE in text for text in bot_lines(dana)) == 1


def test_a_payment_charged_as_the_action_server_died_is_told_without_confirming_again(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    """The charge goes through after Rasa stopped waiting for it (the call timed out while the
    charge waited for the row), and the server is killed as soon as the charge is in SQL: the
    payment's events never reach the conversation, as when the server dies before answering."""
    cluster = fresh_cluster
    charged = tally("payment charged, then the server killed: charged")
    account = dana_account(cluster)
    dana = new_customer(cluster, clients)
    up_to_the_go_ahead(dana)

    before = attempts(cluster, account)
    with account_locked(cluster, account) as release:
        dana.say("yes")
        key = new_attempt(cluster, account, before)
        dana.bot_says(TOO_LONG, timeout=30)  # Rasa has its answer: the payment's events are lost
        release()
        wait_until(lambda: charges(cluster, key) == 1, 30, "the charge in SQL")
        crash(cluster, "actions")
    back_up(cluster, "actions")
    dana.say("hello")  # anything: not a second "yes"
    dana.bot_says(WENT_THROUGH, timeout=60)

    charged.sent, charged.received = ["$50.00"], ["$50.00"] * charges(cluster, key)
    charged.note = "told at the next turn, with the receipt"
    charged.check()
    assert attempts(cluster, account)[key] == "charged"
    assert sum(WENT_THROUGH in text for text in bot_lines(dana)) == 1
    client = AccountClient(cluster.settings.database_url)
    assert client.get(account.id).balance == account.balance - 50
    client.close()
