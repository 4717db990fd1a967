"""``python -m bot``: train, run and chat with Tandem from a terminal."""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import signal
import sys
import warnings
from pathlib import Path
from types import FrameType

from bot.redis_server import RedisError
from bot.stack import Stack, StackError
from bot.training import TrainingError, train_if_needed
from core.settings import Settings

DESCRIPTION = """\
Tandem, a Rasa customer-service assistant.

Settings come from environment variables (see core/settings.py); logs go to var/logs/.
Run `python -m bot <command> --help` for details of a command.
"""

COMMANDS = {
    "train": "Train the model if config.yml, domain.yml or data/ (except data/demo/) changed "
    "since the last training; --force trains anyway.",
    "run": "Train if needed, then start Redis (embedded unless REDIS_URL is set), the action "
    "server and the Rasa server on 127.0.0.1, and print what runs where. Unset RASA_TOKEN / "
    "ACTIONS_TOKEN get random values for this session. Ctrl-C stops everything.",
    "shell": "Train if needed, start a private stack on free ports (logs in var/shell/) and "
    "chat with the bot in this terminal, through the same token-checked, card-masking REST "
    "channel customers use; a handoff shows as one line. /stop, Ctrl-D or the end of the "
    "input ends it.",
    "actions": "Run only the action server on ACTIONS_PORT (ACTIONS_TOKEN must be set).",
    "validate": "Check domain.yml and data/ as training does, without training: Rasa's validator "
    "and Tandem's content rules (`check` also asks for each task's story tests).",
    "check": "Check domain.yml, data/ and tests/ in seconds, without training: Rasa's "
    "data validation plus Tandem's rules (enough examples per intent, no example under two "
    "intents, responses used and defined, no HTML or non-https links, no card numbers or "
    "passwords in examples, story tests of each task's happy path, a digression and a "
    "handoff, well-formed conversation tests). Prints `file:line: problem — fix`; exits 1 on "
    "any problem.",
    "update-quotes": "After rewording responses: show each `bot:` turn of tests/conversations/ "
    "that no response says any more, beside the words of the response now closest to it, and "
    "rewrite the turn when you answer y. Exits 1 while a stale turn is left.",
    "protocol-docs": "Rewrite the event tables of docs/protocol.md from the gateway's protocol "
    "schema, handoff/protocol.schema.json, keeping the prose around them; --check only reports "
    "each table that differs (`make check` runs it) and exits 1 if any does.",
    "test-bot": "Train if the content changed, run the story tests in tests/stories/ and the "
    "conversation tests in tests/conversations/ and of each FAQ in data/faq/ (against a private "
    "stack: gateway, Redis, Rasa, action server; the warm one of `warm` when it runs), play the "
    "scenarios of tests/scenarios/ through the same stack (a measurement: tasks completed, turns "
    "per task, handoffs), and write reports/test-bot.md: failed tests with the turn that went "
    "wrong, intent confusion, the intents and responses no test covers, and the scenarios' "
    "figures. Exits 1 on any failed test; scenarios fail only when a file is malformed or the "
    "stack stops answering. Given files or test names, runs only those tests.",
    "warm": "Train if needed and start the private stack test-bot uses, then keep it running "
    "(Ctrl-C stops it): while it runs, test-bot plays its tests through it instead of starting "
    "its own, and loads a retrained model into it.",
    "suggest": "Read the archived conversations in DATABASE_URL, group what customers said just "
    "before the bot fell back or handed over to a person, and write the groups, with counts, "
    "to reports/suggestions.yml for an editor to review. Never changes data/.",
    "evaluate": "Measure the trained model's understanding on lines it never trained on: "
    "tests/nlu/heldout.yml, tests/nlu/independent.yml (written without reading data/) and typo, "
    "case and filler variants of it; per-intent and macro accuracy, how often out-of-scope lines "
    "start a task, and gibberish. Fails below macro 0.90 or above 5 % false tasks on the "
    "independent set.",
    "accounts": "Look after the account backend in DATABASE_URL: `accounts seed` loads the demo "
    "customers of data/demo/customers.yml, `accounts show ID` prints an account without its "
    "secrets, `accounts outbox` prints the mail kept when no SMTP server is configured.",
    "mail": "Customers' replies to tickets from the support mailbox: `mail fetch` threads each "
    "unseen mail of the IMAP mailbox (IMAP_HOST, IMAP_USER, IMAP_PASSWORD...) onto the ticket it "
    "names and marks it seen (docs/tickets.md).",
    "agents": "Manage the handoff gateway's agent accounts in DATABASE_URL: `agents add LOGIN "
    "--name NAME` creates one (the password is asked twice, or read from --password-stdin), "
    "`agents list` shows them, `agents set-role LOGIN ROLE` changes a role and ends the agent's "
    "sessions.",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for name, text in COMMANDS.items():
        command = commands.add_parser(name, help=text, description=text)
        if name == "train":
            command.add_argument("--force", action="store_true", help="train even if unchanged")
        elif name == "run":
            command.add_argument(
                "--gateways",
                type=int,
                default=1,
                metavar="N",
                help="gateway processes; more than one puts Debian's HAProxy in front (default 1)",
            )
            command.add_argument(
                "--rasa",
                type=int,
                default=1,
                metavar="N",
                help="Rasa servers sharing the conversations through Redis (default 1)",
            )
        elif name == "agents":
            add_agents_arguments(command)
        elif name == "accounts":
            from bot.admin import add_accounts_arguments

            add_accounts_arguments(command)
        elif name == "mail":
            from bot.mail import add_mail_arguments

            add_mail_arguments(command)
        elif name in ("check", "update-quotes"):
            command.add_argument(
                "--root", type=Path, help="work on another copy of the project (default: this one)"
            )
        elif name == "test-bot":
            command.add_argument(
                "only",
                nargs="*",
                metavar="TEST",
                help="run only these: files of tests/conversations/, tests/stories/ or "
                "data/faq/, or names of conversation or story tests (in quotes)",
            )
        elif name == "protocol-docs":
            command.add_argument(
                "--check", action="store_true", help="report stale tables; change nothing"
            )
    args = parser.parse_args(argv)
    # Rasa's dependencies warn about their own deprecations; operators cannot act on them.
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"error: an environment variable has an invalid value: {error}", file=sys.stderr)
        return 2
    # SIGTERM stops the stack as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "train":
            train_if_needed(settings, force=args.force)
        elif args.command == "run":
            run(settings, gateways=args.gateways, rasa_servers=args.rasa)
        elif args.command == "shell":
            from bot.shell import shell

            shell(with_session_tokens(settings))
        elif args.command == "validate":
            return validate(settings)
        elif args.command == "check":
            from bot.validate import main as check

            return check(args.root or settings.root)
        elif args.command == "update-quotes":
            from bot.quotes import update

            return update(args.root or settings.root)
        elif args.command == "protocol-docs":
            from bot.protocol_docs import main as protocol_docs

            return protocol_docs(settings.root, check=args.check)
        elif args.command == "test-bot":
            from bot.testing import main as test_bot

            return test_bot(settings, args.only)
        elif args.command == "warm":
            from bot.warm import serve

            serve(settings)
        elif args.command == "suggest":
            from bot.suggest import main as suggest

            return suggest(settings)
        elif args.command == "evaluate":
            from bot.evaluation import main as evaluate

            return evaluate(settings.root)
        elif args.command == "agents":
            from bot.admin import run_agents

            return run_agents(args, settings)
        elif args.command == "accounts":
            from bot.admin import run_accounts

            return run_accounts(args, settings)
        elif args.command == "mail":
            from bot.mail import run_mail

            return run_mail(args, settings)
        else:
            from actions.server import main as actions_main

            actions_main([])
    except (TrainingError, StackError, RedisError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopped.")
    return 0


def add_agents_arguments(command: argparse.ArgumentParser) -> None:
    """``agents add`` and ``agents list``; bot/admin.py runs them."""
    actions = command.add_subparsers(dest="agents_command", required=True, metavar="action")
    add = actions.add_parser(
        "add",
        help="create an agent account",
        description="Create an agent account. The password never goes on the command line.",
    )
    add.add_argument("login", help="login name (letters, digits, . _ -; any case)")
    add.add_argument("--name", required=True, help='display name shown to customers, "Ann Lee"')
    add.add_argument("--role", default="agent", help="agent (default) or supervisor")
    add.add_argument(
        "--skills", default="general", help="comma-separated: account,billing,technical,general"
    )
    add.add_argument("--capacity", type=int, default=3, help="chats at once, 1 to 10 (default 3)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin",
    )
    actions.add_parser("list", help="show every agent account", description="Show every agent.")
    set_role = actions.add_parser(
        "set-role",
        help="make an agent a supervisor or an agent; ends their sessions",
        description="Change an agent's role. Their cookies and socket tokens stop working and "
        "their open consoles are closed, so they log in again with the new rights.",
    )
    set_role.add_argument("login", help="the agent's login (any case)")
    set_role.add_argument("role", help="agent or supervisor")


def run(settings: Settings, gateways: int = 1, rasa_servers: int = 1) -> None:
    """Train if needed, start the stack and keep it up (restarting what dies) until Ctrl-C."""
    generated = [
        name
        for name, value in (
            ("RASA_TOKEN", settings.rasa_token),
            ("METRICS_TOKEN", settings.metrics_token),
        )
        if not value
    ]
    settings = with_session_tokens(settings)
    model = train_if_needed(settings)
    print(
        f"Starting Redis, the action server, {rasa_servers} Rasa server(s) (loading the model "
        f"takes a while) and {gateways} gateway(s)..."
    )
    with Stack(settings, model, gateways=gateways, rasa_servers=rasa_servers) as stack:
        root = settings.root
        logs = ", ".join(str(path.relative_to(root)) for path in stack.log_files().values())
        redis = stack.redis
        assert redis is not None
        where = "embedded, data in var/redis" if not settings.redis_url else "from REDIS_URL"
        site = f"http://localhost:{settings.gateway_port}"
        print(
            "\nTandem is running:\n"
            f"  Demo website  {site}/  (the chat widget)\n"
            f"  Agent console {site}/agent  (supervisors: {site}/agent/supervisor)\n"
            f"  REST channel  POST {stack.rasa_url}/webhooks/rest/webhook  (token required)\n"
            f"  Rasa API      {', '.join(stack.rasa_urls)}  (?token= required)\n"
            + (
                f"  Gateways      {', '.join(stack.gateway_urls)}  (behind HAProxy on "
                f"{settings.gateway_port})\n"
                if stack.balanced
                else ""
            )
            + f"  Metrics       {stack.gateway_urls[0]}/metrics (each gateway; "
            "Authorization: Bearer $METRICS_TOKEN)\n"
            f"  Actions       {stack.actions_url}/webhook  (token required)\n"
            f"  Redis         {redis.host}:{redis.port}/{redis.db}  ({where})\n"
            f"  SQL           {sql_engine(settings.database_url)}\n"
            f"  Logs          {logs}"
        )
        for name in generated:
            print_session_token(name, settings.as_env()[name])
        print_demo_agents(settings)
        print("\nA service that dies is restarted. Ctrl-C stops everything.")
        stack.wait()


def validate(settings: Settings) -> int:
    """Print each content problem; 1 if there was any."""
    from bot.validate import problems

    found = problems(settings.root)
    for problem in found:
        print(f"- {problem}")
    print(f"{len(found)} problem(s) in domain.yml and data/." if found else "Content is valid.")
    return 1 if found else 0


def with_session_tokens(settings: Settings) -> Settings:
    """Fill an unset RASA_TOKEN / ACTIONS_TOKEN with a random one for this session."""
    return dataclasses.replace(
        settings,
        rasa_token=settings.rasa_token or secrets.token_urlsafe(32),
        actions_token=settings.actions_token or secrets.token_urlsafe(32),
        secret_key=settings.secret_key or secrets.token_urlsafe(32),
        metrics_token=settings.metrics_token or secrets.token_urlsafe(32),
    )


def print_demo_agents(settings: Settings) -> None:
    """Add the missing demo agents of data/demo/agents.yml and show their passwords once."""
    from bot.demo import DEMO_AGENTS, demo_allowed, seed_agents
    from handoff.records.agents import AgentDirectory

    if not demo_allowed(settings):
        return
    directory = AgentDirectory.from_settings(settings)
    try:
        directory.create_schema()
        seeded = seed_agents(directory)
    finally:
        directory.close()
    print(f"\nDemo agents added for the console ({DEMO_AGENTS.name}; existing ones unchanged):")
    for agent, password in seeded:
        print(f"  {agent.id:<6} password {password:<14} {agent.name}, {agent.role}")


def sql_engine(database_url: str) -> str:
    """Which SQL engine, without the URL's password; and the advice for several processes."""
    if database_url.startswith("sqlite"):
        return (
            "SQLite in var/ (for several machines set DATABASE_URL=postgresql://…; "
            "docs/deployment.md)"
        )
    return database_url.split("://", 1)[0] + " from DATABASE_URL"


def print_session_token(name: str, token: str) -> None:
    """Show a generated token on the operator's terminal only, never into a log."""
    if sys.stdout.isatty():
        print(
            f"\n{name} was not set; this session's token (shown only here) is:\n  {token}\n"
            f"Set {name} to choose your own."
        )
    else:
        print(
            f"\n{name} was not set; this session uses a random token, not shown because "
            f"the output is not a terminal. Set {name} to choose your own."
        )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
