"""The demo's people: customers of data/demo/customers.yml and agents of data/demo/agents.yml.

Demo people go only into the embedded default database (the SQLite file under
var/) or, with ``TANDEM_DEMO=1``, into the configured one (``demo_allowed``); they
never overwrite a row that exists. The stack loads the customers before it starts
the action server; ``make run`` adds the missing demo agents with random passwords
and shows them once. Tests reset the customers of their private database with
``reset_customers``.
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
from core.addresses import state_code, state_for_zip
from core.settings import ROOT, Settings
from core.sql import engine_for
from handoff.records.agents import Agent, AgentDirectory, InvalidAgent

DEMO_CUSTOMERS = ROOT / "data" / "demo" / "customers.yml"
DEMO_AGENTS = ROOT / "data" / "demo" / "agents.yml"


class CustomerFileError(ValueError):
    """The demo customers file is wrong; the message names the customer and field."""


def demo_allowed(settings: Settings) -> bool:
    """Demo people may go into the embedded default database, or anywhere with TANDEM_DEMO=1."""
    return settings.demo or settings.database_url == Settings.from_env({}).database_url


def seed_customers(database_url: str, path: Path = DEMO_CUSTOMERS) -> int:
    """Create the account tables and add the customers of ``path`` that are missing; how many.

    An existing account is never changed, whatever the file says.
    """
    rows = load_customers(path)
    AccountClient(database_url).create_schema()
    added = 0
    with engine_for(database_url).begin() as conn:
        for row in rows:
            known = conn.execute(select(accounts.c.id).where(accounts.c.id == row["id"])).first()
            if known is None:
                conn.execute(insert(accounts).values(**row))
                added += 1
    return added


def reset_customers(database_url: str, path: Path = DEMO_CUSTOMERS) -> int:
    """Insert or overwrite the customers of ``path``: only for a test's private database."""
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
        # the state as written, else the one its ZIP code belongs to
        "state": state_code(str(address.get("state") or ""))
        or state_for_zip(str(address.get("postal_code") or "")),
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
    """Add the demo agents of ``path`` that are missing, each with a random password.

    Returns each added agent with its password, which is shown once and stored only
    hashed; an existing login is left as it is. Raises ``InvalidAgent`` naming the
    entry when the file is wrong.
    """
    known = {agent.id for agent in directory.all()}
    seeded = []
    for number, entry in enumerate(_agent_entries(path), start=1):
        login = str(entry.get("login", ""))
        if login in known:
            continue
        password = secrets.token_urlsafe(9)
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
