"""Turning what customers type into values, and values back into text.

Pure functions, so every odd input a customer can type is cheap to test. The rules of
each task slot's value (which agents' corrections follow too) are in ``core.task_values``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from core.task_values import MAX_VALUE_LENGTH, clean


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


def format_money(amount: Decimal) -> str:
    """Dollars as customers read them: "$1,234.50"."""
    return f"${amount:,.2f}"


def format_date(day: date) -> str:
    """Dates as customers read them: "December 1, 2026"."""
    return f"{day:%B} {day.day}, {day:%Y}"
