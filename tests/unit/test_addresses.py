"""Addresses as customers type them: found in a sentence, split, checked and read back."""

from __future__ import annotations

import pytest

from core.addresses import (
    format_address,
    normal_city,
    normal_street,
    normalise_postal_code,
    parse_address,
    parse_place,
    state_code,
    state_for_zip,
)


@pytest.mark.parametrize(
    ("text", "street", "city", "state", "postal_code"),
    [
        ("12 Oak Street, Springfield, 62704", "12 Oak Street", "Springfield", None, "62704"),
        ("12 Oak St, Springfield, IL 62704", "12 Oak St", "Springfield", "IL", "62704"),
        ("I moved to 400 Main St Riverton 84065", "400 Main St", "Riverton", None, "84065"),
        ("my new address is 9 Elm Ave Apt 4, Salem", "9 Elm Ave Apt 4", "Salem", None, None),
        # the sentence around the address is not part of it
        (
            "hi, I moved to 12 Oak St Springfield 62704, and also want to pay my bill",
            "12 Oak St",
            "Springfield",
            None,
            "62704",
        ),
        (
            "45 maple ave apt 3 shelbyville il 62565",
            "45 Maple Ave Apt 3",
            "Shelbyville",
            "IL",
            "62565",
        ),
        # directions before and after the street name stay with it
        ("4100 n clark st, chicago, 60613", "4100 N Clark St", "Chicago", None, "60613"),
        ("615 Gold Ave SW, Albuquerque 87102", "615 Gold Ave SW", "Albuquerque", None, "87102"),
        (
            "1200 Pine St Unit 4B, Seattle Washington 98101-1234",
            "1200 Pine St Unit 4B",
            "Seattle",
            "WA",
            "98101-1234",
        ),
        (
            "400 Main St Apt 5 in Riverton, zip 62704",
            "400 Main St Apt 5",
            "Riverton",
            None,
            "62704",
        ),
        # a corrected house number: the last address begun is the one meant
        (
            "wait no its 615 not 651. 615 Gold Ave SW, Albuquerque 87102",
            "615 Gold Ave SW",
            "Albuquerque",
            None,
            "87102",
        ),
        ("12 oak street and pay my bill", "12 Oak Street", None, None, None),
        ("62704", None, None, None, "62704"),
        ("Springfield", None, None, None, None),
        ("pay $40 please", None, None, None, None),
        ("45 Maple Ave Apt, Springfield 62704", None, None, None, "62704"),
        ("no, it is 62566", None, None, None, "62566"),
        ("no its salem, or 97301", None, "Salem", "OR", "97301"),
    ],
)
def test_addresses_in_a_sentence(
    text: str, street: str | None, city: str | None, state: str | None, postal_code: str | None
) -> None:
    parts = parse_address(text)
    assert (parts.street, parts.city, parts.state, parts.postal_code) == (
        street,
        city,
        state,
        postal_code,
    )


@pytest.mark.parametrize(
    ("text", "city", "state", "postal_code"),
    [
        ("tacoma", "Tacoma", None, None),
        ("Springfield, IL", "Springfield", "IL", None),
        ("springfield il 62704", "Springfield", "IL", "62704"),
        ("new york new york", "New York", "NY", None),
        ("St. John's", "St. John's", None, None),
    ],
)
def test_answers_to_which_city(
    text: str, city: str | None, state: str | None, postal_code: str | None
) -> None:
    parts = parse_place(text)
    assert (parts.city, parts.state, parts.postal_code) == (city, state, postal_code)


def test_parts_are_checked() -> None:
    assert normal_street("12 oak street") == "12 Oak Street"
    assert normal_street("Oak Street") is None
    assert normal_street("12 <script>alert(1)</script>") is None
    assert normal_street("45 Maple Ave Apt") is None  # a unit needs its number
    assert normal_city("winston-salem") == "Winston-Salem"
    assert normal_city("62704") is None
    assert normalise_postal_code("62704-1234") == "62704-1234"
    assert normalise_postal_code("6270") is None
    assert normalise_postal_code("62704 or 62705") is None
    assert normalise_postal_code("1" * 300) is None


def test_states_by_code_name_and_zip() -> None:
    assert state_code("il") == "IL"
    assert state_code("Illinois") == "IL"
    assert state_code("District of Columbia") == "DC"
    assert state_code("zz") is None
    assert state_for_zip("62704") == "IL"
    assert state_for_zip("97301") == "OR"
    assert state_for_zip("10001-2345") == "NY"
    assert state_for_zip("00100") is None
    assert state_for_zip("nope") is None


def test_read_back() -> None:
    assert format_address("12 Oak St", "Springfield", "IL", "62704") == (
        "12 Oak St, Springfield, IL 62704"
    )
    assert format_address("12 Oak St", "Springfield", None, "62704") == (
        "12 Oak St, Springfield, 62704"
    )
