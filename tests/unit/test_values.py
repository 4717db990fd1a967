"""What customers type, turned into values: amounts, identifiers, phone digits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from actions.values import find_last4, format_date, format_money
from core.task_values import (
    AmountError,
    find_identifier,
    parse_amount,
)

BALANCE = Decimal("120.50")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("50", "50.00"),
        ("$50.00", "50.00"),
        ("$ 49.99", "49.99"),
        ("pay 20 dollars", "20.00"),
        ("I'll pay 50.", "50.00"),
        ("fifty", "50.00"),
        ("twenty five", "25.00"),
        ("a hundred and twenty", "120.00"),
        ("all of it", "120.50"),
        ("the full balance", "120.50"),
        ("full", "120.50"),
        ("everything", "120.50"),
        ("120.50", "120.50"),
    ],
)
def test_amounts_customers_type(text: str, amount: str) -> None:
    assert parse_amount(text, BALANCE) == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-5", "not_positive"),
        ("$-5", "not_positive"),
        ("0", "not_positive"),
        ("1e9", "unreadable"),
        ("lots", "unreadable"),
        ("🙂🙂🙂", "unreadable"),
        ("", "unreadable"),
        ("x" * 5000, "unreadable"),
        ("1,000,000", "over_balance"),
        ("121", "over_balance"),
        ("10.555", "too_precise"),
    ],
)
def test_amounts_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(text, BALANCE)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("dana@example.com", "dana@example.com"),
        ("my email is Dana@Example.com thanks", "dana@example.com"),
        ("acc-1001", "ACC-1001"),
        ("it's account ACC-1003", "ACC-1003"),
        ("dana", "dana"),
        ("my username is priya.n", "priya.n"),
        ("dana@example", None),
        ("dana@", None),
        ("i dont know what you mean", None),
        ("🙂", None),
        ("a" * 5000, None),
    ],
)
def test_identifiers(text: str, identifier: str | None) -> None:
    assert find_identifier(text) == identifier


@pytest.mark.parametrize(
    ("text", "last4"),
    [
        ("4821", "4821"),
        ("4 8 2 1", "4821"),
        ("last four are 7310", "7310"),
        ("482", None),
        ("48211", None),
        ("1234 or 5678", None),
        ("no idea", None),
    ],
)
def test_phone_digits(text: str, last4: str | None) -> None:
    assert find_last4(text) == last4


def test_formats() -> None:
    assert format_money(Decimal("1234.5")) == "$1,234.50"
    assert format_date(date(2026, 12, 1)) == "December 1, 2026"
