"""An agent's corrections on hand-back: task slots only, each read by the bot's own rule."""

from __future__ import annotations

from typing import Any

import pytest

from core.task_values import CORRECTABLE_SLOTS, SlotRefused, corrected_slots


def test_corrections_are_read_like_the_customers_answers() -> None:
    events = corrected_slots(
        {"street": " 12 Oak St, ", "city": "springfield", "postal_code": "zip 62704"}
    )
    assert events == {
        "street": "12 Oak St",
        "city": "Springfield",
        "postal_code": "62704",
        "state": "IL",  # implied by the ZIP code, for the read-back
        "address_confirmed": None,  # the customer confirms what the agent typed
    }
    assert corrected_slots({"postal_code": "97301", "state": "oregon"})["state"] == "OR"
    assert corrected_slots({"reset_identifier": "my email is Ann@Example.com"}) == {
        "reset_identifier": "ann@example.com"
    }


def test_a_corrected_amount_is_a_new_payment_attempt() -> None:
    events = corrected_slots({"payment_amount": "$40"})
    assert (events["payment_amount"], events["payment_confirmed"]) == ("40.00", None)
    assert len(events["payment_key"]) == 32
    assert corrected_slots({"payment_amount": "40"})["payment_key"] != events["payment_key"]


def test_none_clears_a_slot_so_the_bot_asks_again() -> None:
    assert corrected_slots({"payment_amount": None}) == {
        "payment_amount": None,
        "payment_confirmed": None,
        "payment_key": None,
    }


@pytest.mark.parametrize(
    ("slots", "complaint"),
    [
        ({"verified": True}, "'verified' cannot be corrected by an agent"),
        ({"customer_id": "ACC-1001"}, "'customer_id' cannot be corrected"),
        ({"requested_slot": "street"}, "'requested_slot' cannot be corrected"),
        ({"x" * 10_000: "1"}, "'" + "x" * 60 + "' cannot be corrected"),
        ({"postal_code": "6270"}, "'postal_code' must be a US ZIP code"),
        ({"city": "<script>"}, "'city' must be a city name"),
        ({"street": "Oak Street"}, "'street' must be a house number"),
        ({"payment_amount": "-5"}, "'payment_amount' must be an amount"),
        ({"payment_amount": "1.005"}, "'payment_amount' must be an amount"),
        ({"payment_amount": "all of it"}, "'payment_amount' must be an amount in figures"),
        ({"reset_identifier": "a@"}, "'reset_identifier' must be an email"),
        ({"street": 12}, "'street' must be"),
    ],
)
def test_anything_else_is_refused_naming_the_slot(slots: dict[str, Any], complaint: str) -> None:
    with pytest.raises(SlotRefused) as refused:
        corrected_slots(slots)
    assert complaint in str(refused.value)


def test_identity_is_never_correctable() -> None:
    assert not {"verified", "customer_id", "account_identifier", "phone_last4"} & set(
        CORRECTABLE_SLOTS
    )
