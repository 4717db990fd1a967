"""The demo's people: customers of data/demo/customers.yml and agents of data/demo/agents.yml.

The stack loads the customers before it starts the action server; ``make run``
gives the demo agents new random passwords and shows them once.
"""

from __future__ import annotations

import re
import secrets
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select, update

from actions.account_tables import accounts
from actions.accounts import CARD_STATUSES, AccountClient, InvalidAmount, to_cents_unchecked
from core.settings import ROOT
from core.sql import engine_for
from handoff.records.agents import Agent, AgentDirectory, InvalidAgent

DEMO_CUSTOMERS = ROOT / "data" / "demo" / "customers.yml"
DEMO_AGENTS = ROOT / "data" / "demo" / "agents.yml"


class CustomerFileError(ValueError):
    """The demo customers file is wrong; the message names the customer and field."""


def seed_customers(database_url: str, path: Path = DEMO_CUSTOMERS) -> int:
    """Create the account tables and insert or refresh the customers of ``path``; how many.

    Repeating it resets those accounts to the file, which is what a demo wants.
    """
    rows = load_customers(path)
    AccountClient(database_url).create_schema()
    with engine_for(database_url).begin() as conn:
        for row in rows:
            known = conn.execute(select(accounts.c.id).where(accounts.c.id == row["id"])).first()
            if known is None:
                conn.execute(insert(accounts).values(**row))
            else:
                conn.execute(update(accounts).where(accounts.c.id == row["id"]).values(**row))
    return len(rows)


def load_customers(path: Path) -> list[dict[str, Any]]:
    """Read and check a customers file; errors name the customer and the field."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CustomerFileError(f"{path}: cannot read customers: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("customers"), list):
        raise CustomerFileError(f"{path}: expected a top-level 'customers:' list")
    rows = [
        _customer_row(entry, f"{path}: customer {number}")
        for number, entry in enumerate(document["customers"], start=1)
    ]
    for field in ("id", "email", "username"):
        seen = [row[field].lower() for row in rows]
        twice = sorted({value for value in seen if seen.count(value) > 1})
        if twice:
            raise CustomerFileError(f"{path}: {field} used by two customers: {twice}")
    return rows


def _customer_row(entry: Any, where: str) -> dict[str, Any]:
    """One customer of the YAML file as an ``accounts`` row."""
    if not isinstance(entry, dict):
        raise CustomerFileError(f"{where}: expected fields such as 'id:' and 'name:'")
    where = f"{where} ({entry.get('id', 'no id')})"

    def part(name: str) -> dict[str, Any]:
        value = entry.get(name)
        if not isinstance(value, dict):
            raise CustomerFileError(f"{where}: '{name}' needs its indented fields")
        return value

    def text(fields: dict[str, Any], key: str, pattern: str = r".+", hint: str = "") -> str:
        value = fields.get(key)
        value = "" if value is None else str(value).strip()
        if not value:
            raise CustomerFileError(f"{where}: '{key}' is missing")
        if not re.fullmatch(pattern, value):
            raise CustomerFileError(f"{where}: '{key}' is {value!r}; {hint}")
        return value

    digits4 = (r"\d{4}", 'expected 4 digits in quotes, like "0042"')
    address, card = part("address"), part("card")
    try:
        balance = Decimal(str(entry.get("balance")))
        balance_cents = to_cents_unchecked(balance)
    except (InvalidOperation, InvalidAmount) as exc:
        raise CustomerFileError(f"{where}: 'balance' must be an amount like 120.50") from exc
    if balance_cents < 0:
        raise CustomerFileError(f"{where}: 'balance' cannot be negative")
    due = entry.get("due_date")
    try:
        due_date = due if isinstance(due, date) else date.fromisoformat(str(due))
    except ValueError as exc:
        raise CustomerFileError(f"{where}: 'due_date' must look like 2026-12-15") from exc
    return {
        "id": text(entry, "id", r"(?i)ACC-\d+", "expected ACC- and digits").upper(),
        "name": text(entry, "name"),
        "email": text(entry, "email", r"[^@\s]+@[^@\s]+", "expected an email").lower(),
        "username": text(entry, "username", r"[^@\s]+", "expected no spaces or @"),
        "phone_last4": text(entry, "phone_last4", *digits4),
        "street": text(address, "street"),
        "city": text(address, "city"),
        "postal_code": text(address, "postal_code"),
        "balance_cents": balance_cents,
        "due_date": due_date,
        "card_brand": text(card, "brand"),
        "card_last4": text(card, "last4", *digits4),
        "card_status": text(
            card,
            "status",
            "|".join(CARD_STATUSES),
            f"expected {' or '.join(CARD_STATUSES)}",
        ),
    }




def seed_agents(directory: AgentDirectory, path: Path = DEMO_AGENTS) -> list[tuple[Agent, str]]:
    """(Re)create the demo agents of ``path``, each with a new random password.

    Returns each agent with its password, which is shown once and stored only hashed.
    Raises ``InvalidAgent`` naming the entry when the file is wrong.
    """
    seeded = []
    for number, entry in enumerate(_agent_entries(path), start=1):
        password = secrets.token_urlsafe(9)
        login = str(entry.get("login", ""))
        directory.remove(login)
        try:
            agent = directory.add(
                login,
                str(entry.get("name", "")),
                password,
                role=str(entry.get("role", "agent")),
                skills=entry.get("skills") or ("general",),
                capacity=int(entry.get("capacity", 3)),
            )
        except (InvalidAgent, TypeError, ValueError) as error:
            raise InvalidAgent(f"{path}: agent {number}: {error}") from error
        seeded.append((agent, password))
    return seeded


def _agent_entries(path: Path) -> list[dict[str, Any]]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidAgent(f"{path}: cannot read the demo agents: {error}") from error
    entries = document.get("agents") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidAgent(f"{path}: expected a top-level 'agents:' list of accounts")
    return entries
