"""Operators' commands: ``python -m bot agents add | list | set-role`` and ``accounts ...``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TextIO

from actions.accounts import Account, AccountClient
from bot.demo import DEMO_CUSTOMERS, CustomerFileError, demo_allowed, seed_customers
from core.addresses import format_address
from core.mail import Outbox
from core.settings import Settings
from handoff.records.agents import Agent, AgentDirectory, AgentError, InvalidAgent


def run_accounts(args: argparse.Namespace, settings: Settings) -> int:
    """``python -m bot accounts seed | show | outbox``; returns the exit status."""
    if args.accounts_command == "seed":
        if not demo_allowed(settings):
            print(
                "Demo customers go only into the embedded database under var/; "
                "set TANDEM_DEMO=1 to load them into DATABASE_URL.",
                file=sys.stderr,
            )
            return 1
        try:
            count = seed_customers(settings.database_url)
        except CustomerFileError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{count} demo customers added from {DEMO_CUSTOMERS} (existing ones unchanged).")
        return 0
    if args.accounts_command == "show":
        client = AccountClient.from_settings(settings)
        try:
            client.create_schema()
            account = client.find(args.identifier)
        finally:
            client.close()
        if account is None:
            print(f"No account matches {args.identifier!r}.", file=sys.stderr)
            return 1
        print(_describe(account))
        return 0
    outbox = Outbox.from_settings(settings)
    try:
        outbox.create_schema()
        messages = outbox.newest(args.limit)
    finally:
        outbox.close()
    if not messages:
        print("The outbox is empty.")
    for message in messages:
        print(f"#{message.id}  {message.created_at:%Y-%m-%d %H:%M} UTC")
        print(f"To: {message.to}\nSubject: {message.subject}\n")
        print(message.body)
    return 0


def _describe(account: Account) -> str:
    """An account for the operator's terminal, without the verification digits."""
    return "\n".join(
        [
            f"{account.id}  {account.name}",
            f"  email     {account.email}",
            f"  username  {account.username}",
            "  address   "
            + format_address(account.street, account.city, account.state, account.postal_code),
            f"  balance   ${account.balance} due {account.due_date.isoformat()}",
            f"  card      {account.card} ({account.card_status})",
        ]
    )


def run_agents(args: argparse.Namespace, settings: Settings, stdin: TextIO | None = None) -> int:
    """``python -m bot agents add | list | set-role``; returns the exit status."""
    directory = AgentDirectory.from_settings(settings)
    try:
        directory.create_schema()
        if args.agents_command == "list":
            _print_agents(directory.all())
            return 0
        if args.agents_command == "set-role":
            changed = directory.set_role(args.login, args.role)
            print(
                f"Agent {changed.id} is now {changed.role}; their sessions have ended "
                "(open consoles close within a second)."
            )
            return 0
        password = _read_password(args.password_stdin, stdin or sys.stdin)
        agent = directory.add(
            args.login,
            args.name,
            password,
            role=args.role,
            skills=args.skills.split(","),
            capacity=args.capacity,
        )
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        directory.close()
    print(
        f"Agent {agent.id} ({agent.name}) added: {agent.role}, "
        f"skills {', '.join(agent.skills)}, up to {agent.capacity} chats at once."
    )
    return 0


def _read_password(from_stdin: bool, stdin: TextIO) -> str:
    """One line of ``stdin``, or asked twice on the terminal without echo."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise InvalidAgent("the two passwords differ")
    return password


def _print_agents(found: list[Agent]) -> None:
    if not found:
        print("No agents yet. Add one with: python -m bot agents add LOGIN --name NAME")
        return
    for agent in found:
        print(
            f"{agent.id:<20} {agent.name:<30} {agent.role:<10} "
            f"capacity {agent.capacity:<3} skills {','.join(agent.skills)}"
        )
