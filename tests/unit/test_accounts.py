"""The account backend against a real SQLite file: lookups, payments, password resets, mail,
the demo customers file and the operator's `python -m bot accounts`."""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
import re
import socketserver
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from actions.accounts import (
    AccountClient,
    AccountError,
    AccountNotFound,
    InvalidAmount,
    PaymentDeclined,
)
from actions.reset_tokens import InvalidResetToken, ResetRateLimited, ResetTokens
from bot.__main__ import main
from bot.demo import CustomerFileError, seed_customers
from core.mail import Outbox, SmtpMailer
from core.settings import ROOT, Settings

LINK_BASE = Settings.from_env({}).reset_link_base
LINK = re.compile(re.escape(LINK_BASE) + r"([A-Za-z0-9_-]+)")


def reset_tokens(outbox: Outbox) -> list[str]:
    """The tokens of the reset links in the outbox, oldest first."""
    tokens = [LINK.findall(message.body) for message in outbox.newest(limit=100)]
    return [found[0] for found in reversed(tokens) if found]


def dump(database_path: Path, *, skip: str | None = None) -> str:
    """The whole database as SQL text, without the rows of table ``skip``."""
    with sqlite3.connect(database_path) as db:
        lines = list(db.iterdump())
    return "\n".join(
        line for line in lines if not (skip and line.startswith(f'INSERT INTO "{skip}"'))
    )


def rows(database_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(database_path) as db:
        return db.execute(sql).fetchall()


# --- lookups and verification -------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    ["ACC-1001", "acc-1001", "dana@example.com", "DANA@Example.COM", "dana", "  Dana "],
)
def test_find_by_id_email_or_username_in_any_case(accounts: AccountClient, identifier: str) -> None:
    account = accounts.find(identifier)
    assert account is not None
    assert account.id == "ACC-1001"
    assert account.name == "Dana Whitfield"
    assert account.balance == Decimal("120.50")
    assert account.card == "Visa ending 4242"


@pytest.mark.parametrize("identifier", ["nobody@example.com", "ACC-9999", "", "   "])
def test_find_unknown_returns_none(accounts: AccountClient, identifier: str) -> None:
    assert accounts.find(identifier) is None


def test_get_is_case_insensitive_and_raises_for_unknown(accounts: AccountClient) -> None:
    assert accounts.get("acc-1003").card_status == "declined"
    with pytest.raises(AccountNotFound):
        accounts.get("ACC-9999")


def test_seeded_money_has_two_places(accounts: AccountClient) -> None:
    balance = accounts.get("ACC-1002").balance
    assert balance == 0
    assert str(balance) == "0.00"


def test_verify_right_and_wrong_digits(accounts: AccountClient) -> None:
    verified = accounts.verify("priya.n", " 1958 ")
    assert verified is not None and verified.id == "ACC-1003"
    assert accounts.verify("priya.n", "1959") is None
    assert accounts.verify("priya.n", "") is None
    assert accounts.verify("nobody@example.com", "1958") is None
    assert accounts.verify("luis@example.com", "1958") is None


# --- address changes --------------------------------------------------------------


def test_update_address_returns_reference_and_changes_the_row(
    accounts: AccountClient, database_path: Path
) -> None:
    reference = accounts.update_address("acc-1001", " 9 Oak Street ", "Salem", "97301")
    assert re.fullmatch(r"ADR-[0-9A-F]{8}", reference)
    account = accounts.get("ACC-1001")
    assert (account.street, account.city, account.postal_code) == (
        "9 Oak Street",
        "Salem",
        "97301",
    )
    assert rows(database_path, "SELECT reference, account_id FROM address_changes") == [
        (reference, "ACC-1001")
    ]


def test_update_address_of_unknown_account_raises_and_saves_nothing(
    accounts: AccountClient, database_path: Path
) -> None:
    with pytest.raises(AccountNotFound):
        accounts.update_address("ACC-9999", "9 Oak Street", "Salem", "97301")
    assert rows(database_path, "SELECT * FROM address_changes") == []


# --- payments -----------------------------------------------------------------------


def test_pay_lowers_the_balance_and_returns_a_receipt(accounts: AccountClient) -> None:
    receipt = accounts.pay("ACC-1001", Decimal("20.25"), "key-1")
    assert re.fullmatch(r"RCP-[0-9A-F]{8}", receipt.number)
    assert receipt.account_id == "ACC-1001"
    assert receipt.amount == Decimal("20.25")
    assert receipt.new_balance == Decimal("100.25")
    assert receipt.card == "Visa ending 4242"
    assert accounts.get("ACC-1001").balance == Decimal("100.25")


def test_pay_the_full_balance(accounts: AccountClient) -> None:
    receipt = accounts.pay("ACC-1001", Decimal("120.50"), "key-full")
    assert str(receipt.new_balance) == "0.00"


def test_pay_twice_with_the_same_key_charges_once(accounts: AccountClient) -> None:
    first = accounts.pay("ACC-1001", Decimal("20.00"), "key-twice")
    second = accounts.pay("ACC-1001", Decimal("20.00"), "key-twice")
    assert second == first
    assert accounts.get("ACC-1001").balance == Decimal("100.50")


@pytest.mark.parametrize("amount", ["20.00", "120.50"])
def test_pay_from_threads_at_once_with_the_same_key_charges_once(
    accounts: AccountClient, database_path: Path, amount: str
) -> None:
    callers = 6
    start = threading.Barrier(callers)

    def pay(_: int) -> object:
        start.wait()
        return accounts.pay("ACC-1001", Decimal(amount), "key-race")

    with ThreadPoolExecutor(callers) as pool:
        receipts = list(pool.map(pay, range(callers)))

    assert len(set(receipts)) == 1
    assert accounts.get("ACC-1001").balance == Decimal("120.50") - Decimal(amount)
    assert rows(database_path, "SELECT count(*) FROM payments") == [(1,)]


def test_same_key_for_another_payment_is_refused(accounts: AccountClient) -> None:
    accounts.pay("ACC-1001", Decimal("20.00"), "key-reused")
    with pytest.raises(AccountError):
        accounts.pay("ACC-1001", Decimal("30.00"), "key-reused")
    assert accounts.get("ACC-1001").balance == Decimal("100.50")


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0"),
        Decimal("-5.00"),
        Decimal("120.51"),
        Decimal("10.005"),
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        float("nan"),
    ],
    ids=str,
)
def test_invalid_amount_raises_and_changes_nothing(
    accounts: AccountClient, database_path: Path, amount: Decimal
) -> None:
    with pytest.raises(InvalidAmount):
        accounts.pay("ACC-1001", amount, "key-bad")
    assert accounts.get("ACC-1001").balance == Decimal("120.50")
    assert rows(database_path, "SELECT * FROM payments") == []
    # Nothing was kept under the key: a valid payment with it goes through.
    assert accounts.pay("ACC-1001", Decimal("1.00"), "key-bad").amount == Decimal("1.00")


def test_nothing_to_pay_on_a_zero_balance(accounts: AccountClient) -> None:
    with pytest.raises(InvalidAmount):
        accounts.pay("ACC-1002", Decimal("0.01"), "key-zero")


def test_declined_card_raises_and_changes_nothing(
    accounts: AccountClient, database_path: Path
) -> None:
    with pytest.raises(PaymentDeclined):
        accounts.pay("ACC-1003", Decimal("89.99"), "key-declined")
    assert accounts.get("ACC-1003").balance == Decimal("89.99")
    assert rows(database_path, "SELECT * FROM payments") == []


def test_pay_unknown_account_raises(accounts: AccountClient) -> None:
    with pytest.raises(AccountNotFound):
        accounts.pay("ACC-9999", Decimal("1.00"), "key-unknown")


# --- password reset -----------------------------------------------------------------


def test_reset_for_known_and_unknown_returns_the_same_and_mails_only_the_known(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, database_path: Path
) -> None:
    # Typed as returning nothing; check at run time that it really gives None.
    request: Callable[[str, str], object] = resets.request
    assert request("nobody@example.com", "conv-a") is None
    assert outbox.newest() == []
    assert request("DANA", "conv-b") is None
    [message] = outbox.newest()
    assert message.to == "dana@example.com"
    assert LINK.search(message.body)
    # Both requests were recorded, so both did the same writes up to the token.
    assert rows(
        database_path,
        "SELECT conversation_id, account_id FROM reset_requests ORDER BY id",
    ) == [("conv-a", None), ("conv-b", "ACC-1001")]


def test_reset_token_is_stored_only_as_its_hash(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient, database_path: Path
) -> None:
    resets.request("dana@example.com", "conv-1")
    [token] = reset_tokens(outbox)
    assert len(token) >= 43  # 32 random bytes
    everything_but_the_mail = dump(database_path, skip="outbox")
    assert token not in everything_but_the_mail
    assert hashlib.sha256(token.encode()).hexdigest() in everything_but_the_mail


def test_reset_token_works_once(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient
) -> None:
    resets.request("dana@example.com", "conv-1")
    [token] = reset_tokens(outbox)
    assert resets.redeem(token) == "ACC-1001"
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)


def test_redeeming_one_link_voids_the_others(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient
) -> None:
    resets.request("dana@example.com", "conv-1")
    resets.request("dana@example.com", "conv-1")
    first, second = reset_tokens(outbox)
    assert resets.redeem(second) == "ACC-1001"
    with pytest.raises(InvalidResetToken):
        resets.redeem(first)


@pytest.mark.parametrize("token", ["", "made-up-token", LINK_BASE])
def test_unknown_reset_token_is_rejected(
    resets: ResetTokens, accounts: AccountClient, token: str
) -> None:
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)


def test_reset_token_expires_after_15_minutes(
    outbox: Outbox, resets: ResetTokens, accounts: AccountClient, clock
) -> None:
    resets.request("dana@example.com", "conv-1")
    resets.request("luis@example.com", "conv-2")
    dana, luis = reset_tokens(outbox)
    clock.advance(minutes=14, seconds=59)
    assert resets.redeem(dana) == "ACC-1001"
    clock.advance(seconds=2)
    with pytest.raises(InvalidResetToken):
        resets.redeem(luis)


def test_one_conversation_gets_three_requests_an_hour(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, clock
) -> None:
    for identifier in ["nobody@example.com", "dana", "luis@example.com"]:
        resets.request(identifier, "conv-busy")
        clock.advance(minutes=1)
    # The limit does not depend on the account existing: no enumeration through it.
    for identifier in ["nobody@example.com", "priya.n"]:
        with pytest.raises(ResetRateLimited):
            resets.request(identifier, "conv-busy")
    assert len(outbox.newest()) == 2
    resets.request("dana", "conv-other")
    clock.advance(hours=1)
    resets.request("priya.n", "conv-busy")
    assert len(outbox.newest()) == 4


def test_one_account_gets_three_links_an_hour_then_silently_none(
    resets: ResetTokens, outbox: Outbox, accounts: AccountClient, clock
) -> None:
    for number in range(5):
        resets.request("dana", f"conv-{number}")
        clock.advance(minutes=5)
    assert len(outbox.newest()) == 3
    clock.advance(minutes=40)
    resets.request("dana", "conv-later")
    assert len(outbox.newest()) == 4


def test_logs_never_contain_the_reset_token(
    outbox: Outbox,
    resets: ResetTokens,
    accounts: AccountClient,
    database_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    resets.request("dana@example.com", "conv-1")
    [(body,)] = rows(database_path, "SELECT body FROM outbox")
    token = LINK.findall(str(body))[0]
    resets.redeem(token)
    with pytest.raises(InvalidResetToken):
        resets.redeem(token)
    assert "INSERT INTO reset_tokens" in caplog.text  # SQL was logged too
    assert token not in caplog.text
    assert hashlib.sha256(token.encode()).hexdigest() not in caplog.text


# --- SMTP delivery ------------------------------------------------------------------


class _SmtpSession(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every command is accepted, each DATA kept."""

    server: _SmtpSink

    def handle(self) -> None:
        self.reply("220 sink ready")
        data: list[str] | None = None
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if data is not None:
                if line == ".":
                    self.server.messages.append("\r\n".join(data) + "\r\n")
                    data = None
                    self.reply("250 kept")
                else:
                    data.append(line)
            elif line.upper().startswith("DATA"):
                data = []
                self.reply("354 go on")
            elif line.upper().startswith("QUIT"):
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")

    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")


class _SmtpSink(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.messages: list[str] = []


@pytest.fixture
def smtp_sink() -> Iterator[_SmtpSink]:
    sink = _SmtpSink()
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    yield sink
    sink.shutdown()
    sink.server_close()


def test_reset_mail_goes_over_smtp_when_configured(
    outbox: Outbox, tmp_path: Path, smtp_sink: _SmtpSink, clock
) -> None:
    database_path = tmp_path / "smtp.db"
    port = smtp_sink.server_address[1]
    url = f"sqlite:///{database_path}"
    seed_customers(url)
    mail = Outbox(url, SmtpMailer("127.0.0.1", port, "support@tandem.example"), now=clock)
    mail.create_schema()
    client = ResetTokens(url, mail, LINK_BASE, now=clock)
    client.request("nobody@example.com", "conv-1")
    client.request("luis@example.com", "conv-1")
    client.close()  # waits for the background delivery

    [raw] = smtp_sink.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "luis@example.com"
    assert message["From"] == "support@tandem.example"
    text = message.get_body()
    assert text is not None
    token = LINK.findall(text.get_content())[0]
    assert rows(database_path, "SELECT * FROM outbox") == []
    assert token not in dump(database_path)


def test_send_mail_goes_to_the_outbox_without_smtp(outbox: Outbox, accounts: AccountClient) -> None:
    outbox.send(" dana@example.com ", " Your request TKT-1 ", "Hello,\n\nThe transcript.\n")
    [message] = outbox.newest()
    assert (message.to, message.subject) == ("dana@example.com", "Your request TKT-1")
    assert message.body == "Hello,\n\nThe transcript.\n"


def test_send_mail_goes_over_smtp_when_configured(
    outbox: Outbox, tmp_path: Path, smtp_sink: _SmtpSink
) -> None:
    database_path = tmp_path / "smtp.db"
    client = Outbox(
        f"sqlite:///{database_path}",
        SmtpMailer("127.0.0.1", smtp_sink.server_address[1], "support@tandem.example"),
    )
    client.create_schema()
    client.send("dana@example.com", "Your request TKT-1", "The transcript.")
    client.close()  # waits for the background delivery

    [raw] = smtp_sink.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert (message["To"], message["Subject"]) == ("dana@example.com", "Your request TKT-1")
    assert rows(database_path, "SELECT * FROM outbox") == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("", "Hello"),
        ("dana@example.com\r\nBcc: all@example.com", "Hello"),
        ("dana@example.com", "Hello\nBcc: all@example.com"),
        ("dana@example.com", ""),
        ("dana@example.com", "x" * 201),
    ],
)
def test_send_mail_refuses_what_cannot_be_a_header(
    outbox: Outbox, accounts: AccountClient, to: str, subject: str
) -> None:
    with pytest.raises(ValueError, match="must be one line"):
        outbox.send(to, subject, "body")
    assert outbox.newest() == []


# --- schema, seed file and engine -----------------------------------------------------


def test_schema_and_seed_are_idempotent(accounts: AccountClient, database_path: Path) -> None:
    accounts.pay("ACC-1001", Decimal("20.00"), "key-1")
    accounts.create_schema()
    assert seed_customers(f"sqlite:///{database_path}") == 5
    assert rows(database_path, "SELECT count(*) FROM accounts") == [(5,)]
    assert accounts.get("ACC-1001").balance == Decimal("120.50")


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    client = AccountClient(f"sqlite:///{tmp_path / 'a' / 'b' / 'tandem.db'}")
    client.create_schema()
    client.close()
    assert (tmp_path / "a" / "b" / "tandem.db").is_file()


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (('phone_last4: "4821"', "phone_last4: 482"), "'phone_last4' is '482'"),
        (('last4: "4242"', 'last4: "4242424242424242"'), "'last4'"),
        (("status: declined", "status: maybe"), "'status' is 'maybe'"),
        (("balance: 15.75", "balance: 15.755"), "'balance'"),
        (("email: luis@example.com", "email: dana@example.com"), "email used by two"),
    ],
)
def test_bad_customer_file_names_customer_and_field(
    database_path: Path, tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    text = (ROOT / "data" / "demo" / "customers.yml").read_text(encoding="utf-8")
    assert change[0] in text
    path = tmp_path / "customers.yml"
    path.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(CustomerFileError, match=re.escape(complaint)):
        seed_customers(f"sqlite:///{database_path}", path)


# --- CLI ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(accounts: AccountClient, database_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{database_path}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("SMTP_HOST", raising=False)
    return url


def test_cli_show_prints_the_account_without_secrets(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accounts", "show", "Dana@Example.com"]) == 0
    out = capsys.readouterr().out
    assert "ACC-1001" in out and "Dana Whitfield" in out
    assert "Visa ending 4242" in out and "120.50" in out
    assert "4821" not in out


def test_cli_show_unknown_exits_1(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "show", "ACC-9999"]) == 1
    assert "No account matches 'ACC-9999'" in capsys.readouterr().err


def test_cli_outbox_prints_the_newest_mail(
    outbox: Outbox, cli_env: str, resets: ResetTokens, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["accounts", "outbox"]) == 0
    assert "The outbox is empty." in capsys.readouterr().out
    resets.request("dana", "conv-1")
    resets.request("priya.n", "conv-2")
    assert main(["accounts", "outbox", "--limit", "1"]) == 0
    out = capsys.readouterr().out
    assert "To: priya@example.com" in out and LINK.search(out)
    assert "dana@example.com" not in out


def test_cli_seed_is_idempotent(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["accounts", "seed"]) == 0
    assert main(["accounts", "seed"]) == 0
    assert capsys.readouterr().out.count("5 demo customers loaded") == 2


def test_cli_as_a_module(outbox: Outbox, cli_env: str) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "accounts", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    shown = run("show", "lortega")
    assert shown.returncode == 0 and "Luis Ortega" in shown.stdout
    unknown = run("show", "nobody@example.com")
    assert unknown.returncode == 1
    assert "No account matches 'nobody@example.com'" in unknown.stderr
    helped = run("--help")
    assert all(command in helped.stdout for command in ("seed", "show", "outbox"))
