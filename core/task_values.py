"""The values of the bot's task slots, as customers type them and as agents correct them.

Pure functions, shared by the bot (``actions/``: form validation) and the gateway
(an agent's corrections on ``hand_back``), so each slot has one rule.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from core.addresses import (
    normal_city,
    normal_street,
    normalise_postal_code,
    state_code,
    state_for_zip,
)

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


def read_amount(text: str) -> Decimal | None:
    """A positive amount of at most two decimals from what was typed; None for "all of it".

    Raises AmountError with reason "unreadable", "not_positive" or "too_precise".
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
        return None
    else:
        words = re.sub(r"^(?:pay\s+)?", "", text.lower())
        number = _words_to_number(words)
        if number is None:
            raise AmountError("unreadable")
        amount = Decimal(number)
    if amount <= 0:
        raise AmountError("not_positive")
    return amount.quantize(Decimal("0.01"))


def parse_amount(text: str, balance: Decimal) -> Decimal:
    """The amount to pay from what the customer typed, checked against the balance.

    Raises AmountError with reason "unreadable", "not_positive", "too_precise" or
    "over_balance".
    """
    amount = read_amount(text)
    if amount is None:
        return balance
    if amount > balance:
        raise AmountError("over_balance")
    return amount


# --- an agent's corrections on hand-back ---------------------------------------------

# What each correctable slot must look like, for the agent's error message.
CORRECTABLE_SLOTS = {
    "street": "a house number and a street name, such as 12 Oak Street",
    "city": "a city name, such as Springfield",
    "state": "a US state, such as IL or Illinois",
    "postal_code": "a US ZIP code, such as 62704 or 62704-1234",
    "payment_amount": "an amount in figures above 0 with at most two decimals, such as 40.00",
    "reset_identifier": "an email address, a username or an account number such as ACC-1001",
}
# The read-back the customer answers again once a slot it covers was corrected.
_CONFIRMATIONS = {
    "street": "address_confirmed",
    "city": "address_confirmed",
    "state": "address_confirmed",
    "postal_code": "address_confirmed",
    "payment_amount": "payment_confirmed",
}


class SlotRefused(ValueError):
    """A correction an agent may not make, or a value the bot would refuse; names the slot."""

    def __init__(self, slot: str, message: str) -> None:
        super().__init__(message)
        self.slot = slot


def _corrected_value(slot: str, value: str) -> str | None:
    if slot == "street":
        return normal_street(value)
    if slot == "city":
        return normal_city(value)
    if slot == "state":
        return state_code(value)
    if slot == "postal_code":
        return normalise_postal_code(value)
    if slot == "reset_identifier":
        return find_identifier(value)
    try:
        amount = read_amount(value)
    except AmountError:
        return None
    # "All of it" needs the balance, which only the bot sees: the agent gives a figure.
    return None if amount is None else str(amount)


def corrected_slots(slots: dict[str, Any]) -> dict[str, Any]:
    """The slot events for an agent's corrections, each value read by the bot's own rule.

    Only task slots may be corrected, never identity (``verified``, ``customer_id``):
    anything else raises ``SlotRefused`` naming the slot, and so does a value the bot
    would refuse. ``None`` clears a slot, so the bot asks the customer again. A corrected
    slot's read-back is asked again, so the customer confirms what the agent typed; the
    balance is checked when paying, as for any amount.
    """
    events: dict[str, Any] = {}
    for slot, value in slots.items():
        if slot not in CORRECTABLE_SLOTS:
            name = str(slot)[:60]
            raise SlotRefused(
                name,
                f"'{name}' cannot be corrected by an agent; "
                f"only {', '.join(CORRECTABLE_SLOTS)} can.",
            )
        if value is None:
            events[slot] = None
        else:
            found = _corrected_value(slot, value) if isinstance(value, str) else None
            if found is None:
                raise SlotRefused(slot, f"'{slot}' must be {CORRECTABLE_SLOTS[slot]}.")
            events[slot] = found
        if slot in _CONFIRMATIONS:
            events[_CONFIRMATIONS[slot]] = None
        if slot == "postal_code" and "state" not in slots:
            # the read-back names the state, which a ZIP code implies
            events["state"] = state_for_zip(events[slot]) if events[slot] else None
        if slot == "payment_amount":
            # A new amount is a new payment attempt: its own idempotency key, as the bot gives.
            events["payment_key"] = None if value is None else uuid.uuid4().hex
    return events
