"""Several requests in one message: which tasks it names, in order, and what it said for them."""

from __future__ import annotations

import pytest

from actions.requests import amount_said, tasks_asked


@pytest.mark.parametrize(
    ("text", "tasks"),
    [
        ("whats my balance and also reset my password pls", ["check_balance", "reset_password"]),
        (
            "hi, I moved to 12 Oak St Springfield 62704, and also want to pay my bill",
            ["change_address", "pay_bill"],
        ),
        ("change my adress and pay 20 dollars", ["change_address", "pay_bill"]),
        ("i want to pay the full balance", ["pay_bill"]),  # paying it, not asking it
        ("my email address is dana@example.com", []),  # an email address is no move
        ("can't log in and i need my balance", ["reset_password", "check_balance"]),
        ("hello", []),
    ],
)
def test_tasks_named_in_order(text: str, tasks: list[str]) -> None:
    assert tasks_asked(text) == tasks


def test_amounts_said_with_their_currency() -> None:
    assert amount_said("and pay $40 too") == "$40"
    assert amount_said("also want to pay 20 dollars") == "20 dollars"
    assert amount_said("i moved to 12 Oak St 62704 and want to pay") is None
    assert amount_said("pay $0") is None
