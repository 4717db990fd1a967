"""Card numbers are masked; other numbers customers type are not."""

from __future__ import annotations

import pytest

from core.redaction import luhn_valid, mask_card_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4111111111111111", "[card ending 1111]"),
        ("my card is 4111 1111 1111 1111, thanks", "my card is [card ending 1111], thanks"),
        ("4242-4242-4242-4242", "[card ending 4242]"),
        ("5555 5555-5555 4444", "[card ending 4444]"),
        ("amex 378282246310005", "amex [card ending 0005]"),
        ("4222222222222 (13 digits)", "[card ending 2222] (13 digits)"),
        ("6011000990139424", "[card ending 9424]"),
        ("19 digits 6011111111111111110", "19 digits [card ending 1110]"),
        ("card:4111111111111111.", "card:[card ending 1111]."),
    ],
)
def test_card_numbers_are_masked(text: str, expected: str) -> None:
    assert mask_card_numbers(text) == (expected, True)


def test_several_cards_in_one_message_are_all_masked() -> None:
    text = "old 4111 1111 1111 1111 new 5555555555554444"
    assert mask_card_numbers(text) == ("old [card ending 1111] new [card ending 4444]", True)


def test_card_followed_by_more_digits_keeps_the_rest() -> None:
    # A CVV or expiry typed after the number is not part of the card.
    assert mask_card_numbers("4111 1111 1111 1111 123") == ("[card ending 1111] 123", True)
    assert mask_card_numbers("0425 4111111111111111") == ("0425 [card ending 1111]", True)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # fails Luhn
        "4111 1111 1111 1112",
        "call me on +1 415-555-0132",
        "my phone is 4155550132",
        "pay 120.50 please",
        "pay $1,250.00",
        "account ACC-1001",
        "zip 94107-1234",
        "last four 4821",
        "123456789012",  # 12 digits: too short
        "41111111111111111111",  # 20 digits, one group: too long
        "4111  1111 1111 1111",  # a double space splits the number
        "4111--1111-1111-1111",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == (text, False)


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111")
