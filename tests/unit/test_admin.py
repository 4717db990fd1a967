"""The demo customers file, and the operator's `python -m bot accounts seed | show | outbox`."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from actions.accounts import AccountClient
from actions.reset_tokens import ResetTokens
from bot.__main__ import main
from bot.demo import CustomerFileError, reset_customers, seed_customers
from core.mail import Outbox
from core.settings import ROOT
from tests.unit.helpers import LINK, rows

# --- the demo customers file ----------------------------------------------------------


def test_schema_and_seed_are_idempotent(accounts: AccountClient, database_path: Path) -> None:
    accounts.pay("ACC-1001", Decimal("20.00"), "key-1")
    accounts.create_schema()
    assert seed_customers(f"sqlite:///{database_path}") == 0  # all there: nothing added
    assert rows(database_path, "SELECT count(*) FROM accounts") == [(5,)]
    assert accounts.get("ACC-1001").balance == Decimal("100.50")  # never overwritten
    assert reset_customers(f"sqlite:///{database_path}") == 5
    assert accounts.get("ACC-1001").balance == Decimal("120.50")


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


def test_cli_seed_refuses_a_configured_database_without_the_demo_flag(
    cli_env: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["accounts", "seed"]) == 1
    assert "TANDEM_DEMO=1" in capsys.readouterr().err
    monkeypatch.setenv("TANDEM_DEMO", "1")
    assert main(["accounts", "seed"]) == 0
    assert "0 demo customers added" in capsys.readouterr().out


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
