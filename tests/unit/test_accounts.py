"""The account backend client against a real SQLite file: lookups, addresses, payments."""

from __future__ import annotations

import re
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from actions.accounts import (
    AccountClient,
    AccountError,
    AccountNotFound,
    InvalidAmount,
    PaymentAbandoned,
    PaymentDeclined,
)
from tests.unit.helpers import rows

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
    reference = accounts.update_address("acc-1001", " 9 Oak Street ", "Salem", "OR", "97301")
    assert re.fullmatch(r"ADR-[0-9A-F]{8}", reference)
    account = accounts.get("ACC-1001")
    assert (account.street, account.city, account.state, account.postal_code) == (
        "9 Oak Street",
        "Salem",
        "OR",
        "97301",
    )
    assert rows(database_path, "SELECT reference, account_id FROM address_changes") == [
        (reference, "ACC-1001")
    ]


def test_update_address_of_unknown_account_raises_and_saves_nothing(
    accounts: AccountClient, database_path: Path
) -> None:
    with pytest.raises(AccountNotFound):
        accounts.update_address("ACC-9999", "9 Oak Street", "Salem", "OR", "97301")
    assert rows(database_path, "SELECT * FROM address_changes") == []


def test_demo_customers_get_the_state_of_their_zip_code(accounts: AccountClient) -> None:
    assert accounts.get("ACC-1001").state == "OR"  # Portland, 97205


def test_tables_made_before_states_were_kept_gain_the_column(database_path: Path) -> None:
    database_path.parent.mkdir()
    with sqlite3.connect(database_path) as conn:
        conn.execute("CREATE TABLE accounts (id VARCHAR(32) PRIMARY KEY, street VARCHAR(200))")
        conn.execute("CREATE TABLE address_changes (reference VARCHAR(32) PRIMARY KEY)")
    AccountClient(f"sqlite:///{database_path}").create_schema()
    with sqlite3.connect(database_path) as conn:
        for table in ("accounts", "address_changes"):
            columns = [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            assert "state" in columns


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


def test_settle_a_payment_that_went_through_gives_its_receipt(accounts: AccountClient) -> None:
    paid = accounts.pay("ACC-1001", Decimal("20.00"), "key-paid")
    assert accounts.settle("ACC-1001", Decimal("20.00"), "key-paid") == paid
    assert accounts.get("ACC-1001").balance == Decimal("100.50")


def test_a_settled_payment_is_never_charged_after(
    accounts: AccountClient, database_path: Path
) -> None:
    """The turn that found the payment unfinished told the customer it was not made: the charge
    that was still on its way (or a repeated call) must not make that untrue."""
    assert accounts.settle("ACC-1001", Decimal("20.00"), "key-late") is None
    with pytest.raises(PaymentAbandoned):
        accounts.pay("ACC-1001", Decimal("20.00"), "key-late")
    assert accounts.get("ACC-1001").balance == Decimal("120.50")
    assert rows(database_path, "SELECT status FROM payment_attempts") == [("abandoned",)]
    assert rows(database_path, "SELECT * FROM payments") == []


def test_a_declined_payment_settles_as_not_made(accounts: AccountClient) -> None:
    with pytest.raises(PaymentDeclined):
        accounts.pay("ACC-1003", Decimal("89.99"), "key-declined-then-settled")
    assert accounts.settle("ACC-1003", Decimal("89.99"), "key-declined-then-settled") is None


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


def test_sqlite_folder_is_created(tmp_path: Path) -> None:
    client = AccountClient(f"sqlite:///{tmp_path / 'a' / 'b' / 'tandem.db'}")
    client.create_schema()
    client.close()
    assert (tmp_path / "a" / "b" / "tandem.db").is_file()
