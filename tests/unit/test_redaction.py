"""Card numbers are masked; other numbers customers type are not."""

from __future__ import annotations

import pytest

from core.redaction import holds_masked_card, luhn_valid, mask_card_numbers


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
    # Digits before the number are not part of the card (nor, without a slash, an expiry).
    assert mask_card_numbers("0425 4111111111111111") == ("0425 [card ending 1111]", True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "can i pay with my card 4111 1111 1111 1111 exp 09/27 cvv 123",
            "can i pay with my card [card ending 1111] exp [expiry] cvv [security code]",
        ),
        ("4111 1111 1111 1111 123", "[card ending 1111] [security code]"),
        ("4111111111111111, 09/27, 123", "[card ending 1111], [expiry], [security code]"),
        (
            "card 4111111111111111 expires 0927, security code is 4321",
            "card [card ending 1111] expires [expiry], security code is [security code]",
        ),
        ("4111111111111111 12/2027 CVC: 999", "[card ending 1111] [expiry] CVC: [security code]"),
        ("CVV2 1234 for 5555555555554444", "CVV2 [security code] for [card ending 4444]"),
        ("pay 4111111111111111 amount $120.50", "pay [card ending 1111] amount $120.50"),
    ],
)
def test_the_expiry_and_security_code_beside_a_card_are_masked(text: str, expected: str) -> None:
    assert mask_card_numbers(text) == (expected, True)


@pytest.mark.parametrize(
    "text", ["my bill from 09/27 is 120", "cvv 123 means what?", "expires 0927 maybe"]
)
def test_dates_and_codes_without_a_card_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == (text, False)


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
        "dates 2024-01-15 and 15/01/2024",
        "order 2024.118.337.90",  # 13 digits, not Luhn-valid
        "order #123-456-789-0123",
        "ref 1234 5678 9012 3456",  # 16 digits, not Luhn-valid
        "call +44 20 7946 0958 or 020-7946-0959",
        "reach me at 0049 30 1234 5678",
        "totals 1,234,567.89 and 9,876,543.21",
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert mask_card_numbers(text) == (text, False)


# Every way of writing the same cards that customers were seen to use (or could).
CARD = "4111111111111111"
AMEX = "378282246310005"
SEPARATORS = [
    " ",
    "  ",
    "   ",
    "-",
    "--",
    " - ",
    ".",
    "/",
    " / ",
    "\\",
    "_",
    "\t",
    "\u00a0",  # no-break space
    "\u2002",  # en space
    "\u2003",  # em space
    "\u2007",  # figure space
    "\u2009",  # thin space
    "\u200a",  # hair space
    "\u202f",  # narrow no-break space
    "\u205f",  # medium mathematical space
    "\u3000",  # ideographic space
    "\u200b",  # zero-width space
    "\u00ad",  # soft hyphen
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2012",  # figure dash
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2015",  # horizontal bar
    "\u2212",  # minus sign
    "\ufe63",  # small hyphen-minus
    "\uff0d",  # full-width hyphen-minus
    "\uff0e",  # full-width full stop
    "\uff0f",  # full-width solidus
    "\u2024",  # one dot leader
    ". ",
    "- ",
]


def _grouped(digits: str, sizes: tuple[int, ...], separator: str) -> str:
    parts, at = [], 0
    for size in sizes:
        parts.append(digits[at : at + size])
        at += size
    return separator.join(parts)


@pytest.mark.parametrize("separator", SEPARATORS)
def test_card_numbers_are_masked_whatever_separates_the_groups(separator: str) -> None:
    visa = _grouped(CARD, (4, 4, 4, 4), separator)
    amex = _grouped(AMEX, (4, 6, 5), separator)
    assert mask_card_numbers(f"card {visa} ok") == ("card [card ending 1111] ok", True)
    assert mask_card_numbers(f"amex:{amex}.") == ("amex:[card ending 0005].", True)


@pytest.mark.parametrize(
    "text",
    [
        "４１１１ １１１１ １１１１ １１１１",  # full-width digits
        "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661"
        "\u0661\u0661\u0661\u0661",  # Arabic-Indic digits
        "𝟒𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏",  # mathematical bold digits
        "4111 1111\n1111 1111",  # split over two lines
        "41 11 11 11 11 11 11 11",
        "411-111-111-111-1111",
        "4111 1111 1111 1111",
        "4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
    ],
)
def test_card_numbers_in_any_unicode_digits_are_masked(text: str) -> None:
    assert mask_card_numbers(f"my card {text}!") == ("my card [card ending 1111]!", True)


def test_luhn() -> None:
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111")


def test_a_card_masked_by_the_gateway_is_recognised_downstream() -> None:
    masked, _ = mask_card_numbers("can i pay with 4111 1111 1111 1111 exp 09/27 cvv 123")
    assert holds_masked_card(masked)
    assert not holds_masked_card("my order 4111 is late")
