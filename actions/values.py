"""Turning what customers type into values, and values back into text.

Pure functions, so every odd input a customer can type is cheap to test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# Nobody types a 200-character postal code or amount: longer text is not a value.
MAX_VALUE_LENGTH = 200

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ACCOUNT = re.compile(r"\bACC-\d{4,8}\b", re.IGNORECASE)
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,31}")
_LEAD_IN = re.compile(
    r"^(?:(?:my|the|new)\s+)*(?:(?:email|e-mail|username|user name|user|account"
    r"|account number|address|zip|zip code|postcode|postal code|city|town|it)\s*)*"
    r"(?:is|'s|’s|:|=|would be|should be)?\s+",
    re.IGNORECASE,
)
_ZIP = re.compile(r"(?<![\d-])(\d{5})(?:-(\d{4}))?(?![\d-])")
_STREET_START = re.compile(r"^\d+[A-Za-z]?\s+[A-Za-z]")
_STREET_TYPES = (
    r"street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl"
    r"|terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq"
)
_STREET_WITH_TYPE = re.compile(
    rf"^(\d+[A-Za-z]?\s+[A-Za-z0-9 .'-]*?\b(?:{_STREET_TYPES})\b\.?"
    r"(?:\s+(?:apt|unit|suite|#)\s*\S+)?)\s*,?\s*(.*)$",
    re.IGNORECASE,
)
_STATE = re.compile(r"\s*,?\s*\b[A-Z]{2}\b\s*$")
_ADDRESS_CHARS = re.compile(r"^[A-Za-z0-9 .,'#/-]+$")
_CITY = re.compile(r"^[A-Za-z][A-Za-z .'-]{1,48}$")
_MOVED_TO = re.compile(
    r"^.*?\b(?:moved to|move to|address to|address is|now at|new address(?: is)?|live at|to)\b"
    r"[:\s]*",
    re.IGNORECASE,
)

_FULL_BALANCE = re.compile(r"\b(?:full|all|everything|entire|whole|total|the lot)\b", re.IGNORECASE)

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_MONEY = re.compile(
    r"(?<![\w.])(-\s*)?\$?\s*(-\s*)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?!\w)(?!\.\d)"
)


class AmountError(ValueError):
    """A typed amount that cannot be paid; ``reason`` picks the answer to give."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AddressParts:
    """Whatever parts of an address one message contained."""

    street: str | None = None
    city: str | None = None
    postal_code: str | None = None


def clean(text: str | None) -> str:
    """The message with surrounding space and quotes removed ('' for None)."""
    return (text or "").strip().strip("\"'").strip()


def find_email(text: str) -> str | None:
    """The first email address in the text, lower-cased."""
    match = _EMAIL.search(text)
    return match.group(0).lower() if match else None


def find_identifier(text: str) -> str | None:
    """An email, account number or username the customer gave, or None.

    A sentence may carry an email or account number anywhere; a username must be
    the whole answer (after a lead-in such as "my username is").
    """
    text = clean(text)
    if not text or len(text) > MAX_VALUE_LENGTH:
        return None
    email = find_email(text)
    if email:
        return email
    account = _ACCOUNT.search(text)
    if account:
        return account.group(0).upper()
    if "@" in text:
        return None  # a broken email is not a username
    candidate = _LEAD_IN.sub("", text, count=1).strip(" .")
    return candidate if _USERNAME.fullmatch(candidate) else None


def find_last4(text: str) -> str | None:
    """The last four digits of a phone number, from "4821", "4 8 2 1" or "last 4 are 4821"."""
    text = clean(text)
    if not text or len(text) > MAX_VALUE_LENGTH:
        return None
    groups = re.findall(r"(?<!\d)\d{4}(?!\d)", text)
    if len(groups) == 1:
        return str(groups[0])
    digits = re.sub(r"\D", "", text)
    if len(digits) == 4 and re.fullmatch(r"[\d\s-]+", text):
        return digits
    return None


def mentions_last4(text: str) -> bool:
    """Whether the message offers phone digits unasked ("... last four 4821")."""
    return bool(re.search(r"\blast\s*(?:4|four)\b", text, re.IGNORECASE))


def parse_address(text: str) -> AddressParts:
    """Split a one-line address such as "12 Oak St, Springfield, IL 62704" into parts."""
    text = clean(text)
    if not text or len(text) > MAX_VALUE_LENGTH:
        return AddressParts()
    postal_code = None
    zips = list(_ZIP.finditer(text))
    if zips:
        last = zips[-1]
        postal_code = last.group(0)
        text = (text[: last.start()] + text[last.end() :]).strip(" ,.")
    if not _STREET_START.match(text):
        text = _MOVED_TO.sub("", text, count=1).strip()
    street = city = None
    if _STREET_START.match(text):
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if len(parts) > 1:
            street, rest = parts[0], ", ".join(parts[1:])
        else:
            with_type = _STREET_WITH_TYPE.match(text)
            street, rest = (with_type.group(1), with_type.group(2)) if with_type else (text, "")
        rest = _STATE.sub("", rest).strip(" ,.")
        city = rest.split(",")[0].strip() or None
    return AddressParts(street=street, city=city, postal_code=postal_code)


def is_valid_street(text: str) -> bool:
    """A house number, then a street name, in address characters only."""
    return bool(len(text) <= 100 and _STREET_START.match(text) and _ADDRESS_CHARS.match(text))


def is_valid_city(text: str) -> bool:
    """Letters, spaces and the punctuation of names such as "St. John's" or "Winston-Salem"."""
    return bool(_CITY.fullmatch(text))


def normalise_postal_code(text: str) -> str | None:
    """A US ZIP or ZIP+4 found in the text, or None."""
    text = clean(text)
    if len(text) > MAX_VALUE_LENGTH:
        return None
    match = _ZIP.search(text)
    return match.group(0) if match and len(_ZIP.findall(text)) == 1 else None


def _words_to_number(text: str) -> int | None:
    """ "fifty", "twenty five", "a hundred and twenty" -> int; None if not all number words."""
    words = [w for w in re.split(r"[\s-]+", text.lower()) if w not in ("and", "a", "dollars", "")]
    if not words:
        return None
    total = current = 0
    for word in words:
        if word in _NUMBER_WORDS:
            current += _NUMBER_WORDS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
        else:
            return None
    return total + current


def mentions_full_balance(text: str) -> bool:
    """Whether the customer asked to pay everything ("all of it", "the full balance")."""
    return bool(_FULL_BALANCE.search(text))


def parse_amount(text: str, balance: Decimal) -> Decimal:
    """The amount to pay from what the customer typed, checked against the balance.

    Raises AmountError with reason "unreadable", "not_positive", "too_precise" or
    "over_balance".
    """
    text = clean(text)
    if not text or len(text) > MAX_VALUE_LENGTH:
        raise AmountError("unreadable")
    match = _MONEY.search(text)
    if match:
        negative = bool(match.group(1) or match.group(2))
        whole, fraction = match.group(3).replace(",", ""), match.group(4)
        try:
            amount = Decimal(f"{whole}.{fraction}" if fraction is not None else whole)
        except InvalidOperation as error:  # pragma: no cover - the regex admits digits only
            raise AmountError("unreadable") from error
        if negative:
            amount = -amount
        if fraction is not None and len(fraction) > 2:
            raise AmountError("too_precise")
    elif mentions_full_balance(text):
        return balance
    else:
        words = re.sub(r"^(?:pay\s+)?", "", text.lower())
        number = _words_to_number(words)
        if number is None:
            raise AmountError("unreadable")
        amount = Decimal(number)
    if amount <= 0:
        raise AmountError("not_positive")
    if amount > balance:
        raise AmountError("over_balance")
    return amount.quantize(Decimal("0.01"))


def format_money(amount: Decimal) -> str:
    """Dollars as customers read them: "$1,234.50"."""
    return f"${amount:,.2f}"


def format_date(day: date) -> str:
    """Dates as customers read them: "December 1, 2026"."""
    return f"{day:%B} {day.day}, {day:%Y}"
