"""Masking of payment card numbers in customer text.

Tandem never asks for a card number, but customers type them anyway. The REST
channel masks them before Rasa sees the message, so they never reach the
tracker store, logs or the agent console.
"""

from __future__ import annotations

import re

# Runs of digit groups joined by single spaces or dashes ("4111 1111-1111 1111").
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")
_GROUP = re.compile(r"\d+")
_MIN_DIGITS = 13
_MAX_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum used by card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def mask_card_numbers(text: str) -> tuple[str, bool]:
    """Replace every Luhn-valid 13-19 digit card number with ``[card ending 1234]``.

    Returns the new text and whether anything was masked. Shorter or non-Luhn
    digit runs (phone numbers, amounts, account numbers) are left alone.
    """
    pieces: list[str] = []
    cursor = 0
    for run in _DIGIT_RUN.finditer(text):
        for start, end, digits in _card_spans(run):
            pieces.append(text[cursor:start])
            pieces.append(f"[card ending {digits[-4:]}]")
            cursor = end
    if not pieces:
        return text, False
    pieces.append(text[cursor:])
    return "".join(pieces), True


def _card_spans(run: re.Match[str]) -> list[tuple[int, int, str]]:
    """Card numbers inside one run, as (start, end, digits), longest match first.

    A run may hold more than a card ("4111 1111 1111 1111 123" with a CVV), so
    spans of whole consecutive groups are tried, never splitting a group.
    """
    offset = run.start()
    groups = [
        (offset + m.start(), offset + m.end(), m.group()) for m in _GROUP.finditer(run.group())
    ]
    spans: list[tuple[int, int, str]] = []
    i = 0
    while i < len(groups):
        found: tuple[int, int, str] | None = None
        next_i = i + 1
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > _MAX_DIGITS:
                break
            if len(digits) >= _MIN_DIGITS and luhn_valid(digits):
                found = (groups[i][0], groups[j][1], digits)
                next_i = j + 1
        if found:
            spans.append(found)
        i = next_i
    return spans
