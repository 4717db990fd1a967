"""The action server killed just as a customer confirms a payment: the card is charged at most
once, and the customer is told what really happened, not left to guess."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from actions.account_tables import payments
from actions.accounts import AccountClient
from bot.demo import reset_customers
from bot.gateway_client import Client, sender
from bot.stack import Stack
from core.sql import engine_for
from tests.clusters import back_up, crash, new_agent, new_customer
from tests.faults.lines import Tally

MADE = "Payment of $50.00 made"


def test_the_action_server_killed_during_a_payment_charges_at_most_once(
    fresh_cluster: Stack, clients: list[Client], tally: Callable[[str], Tally]
) -> None:
    cluster = fresh_cluster
    charges = tally("payment confirmed to card charged")
    reset_customers(cluster.settings.database_url)
    accounts = AccountClient(cluster.settings.database_url)
    dana_account = accounts.find("dana@example.com")
    assert dana_account is not None
    new_agent(cluster, clients)  # someone to offer
    dana = new_customer(cluster, clients)
    dana.say("I want to pay my bill")
    dana.bot_says("confirm who you are")
    dana.say("dana@example.com")
    dana.bot_says("last 4 digits")
    dana.say("4821")
    dana.bot_says("How much would you like to pay?")
    dana.say("50")
    dana.bot_says("I'll pay $50.00")

    dana.say("yes")
    crash(cluster, "actions")
    kind, data = dana.next_event(("bot_uttered", "handoff"), timeout=60)  # never silence
    back_up(cluster, "actions")
    if kind == "bot_uttered" and MADE in (data.get("text") or ""):
        charges.note = "charged before the crash, and said so"
    else:
        # Told the assistant was unavailable: the customer confirms again.
        assert kind == "handoff" and data["status"] == "bot_unavailable", (kind, data)
        dana.say("yes")
        dana.bot_says(MADE, timeout=60)
        charges.note = "the crash cut the turn; confirmed again, charged once"
    charges.sent = ["$50.00"]
    with engine_for(cluster.settings.database_url).connect() as conn:
        count = conn.execute(
            select(func.count())
            .select_from(payments)
            .where(payments.c.account_id == dana_account.id)
        ).scalar_one()
    charges.received = ["$50.00"] * count
    charges.check()
    said = [d["text"] for e, d in dana.seen if e == "bot_uttered" and sender(d) == "bot"]
    assert sum(MADE in text for text in said) == 1
    accounts.close()
