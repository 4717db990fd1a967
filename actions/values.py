"""Turning what customers type into values, and values back into text.

Pure functions, so every odd input a customer can type is cheap to test. The rules of
each task slot's value (which agents' corrections follow too) are in ``core.task_values``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from core.task_values import MAX_VALUE_LENGTH, STREET_START, ZIP, clean

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
_MOVED_TO = re.compile(
    r"^.*?\b(?:moved to|move to|address to|address is|now at|new address(?: is)?|live at|to)\b"
    r"[:\s]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class AddressParts:
    """Whatever parts of an address one message contained."""

    street: str | None = None
    city: str | None = None
    postal_code: str | None = None


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
    zips = list(ZIP.finditer(text))
    if zips:
        last = zips[-1]
        postal_code = last.group(0)
        text = (text[: last.start()] + text[last.end() :]).strip(" ,.")
    if not STREET_START.match(text):
        text = _MOVED_TO.sub("", text, count=1).strip()
    street = city = None
    if STREET_START.match(text):
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if len(parts) > 1:
            street, rest = parts[0], ", ".join(parts[1:])
        else:
            with_type = _STREET_WITH_TYPE.match(text)
            street, rest = (with_type.group(1), with_type.group(2)) if with_type else (text, "")
        rest = _STATE.sub("", rest).strip(" ,.")
        city = rest.split(",")[0].strip() or None
    return AddressParts(street=street, city=city, postal_code=postal_code)


def format_money(amount: Decimal) -> str:
    """Dollars as customers read them: "$1,234.50"."""
    return f"${amount:,.2f}"


def format_date(day: date) -> str:
    """Dates as customers read them: "December 1, 2026"."""
    return f"{day:%B} {day.day}, {day:%Y}"
