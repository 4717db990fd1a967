"""Masking of payment card numbers in customer text.

Tandem never asks for a card number, but customers type them anyway, in every
shape: groups joined by spaces (any Unicode space, repeated), dashes of any
kind, dots or slashes, in full-width or other Unicode digits. Every character is
read through Unicode NFKC and its category, so "４１１１ ‒ 1111.1111/1111" is
a card like "4111111111111111". Any 13-19 digit Luhn-valid run is masked; in a
message with a card, so are what goes with it: expiry dates ("exp 09/27") and
security codes ("cvv 123", or three or four digits right after the number). The
rest of the text is kept as typed. Every place that stores or shows customer
text (the REST channel, the gateway's stores, the archive, reports) calls
``mask_card_numbers``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_MIN_DIGITS = 13
_MAX_DIGITS = 19
# At most this many separator characters between two groups of one number (" - ").
_MAX_GAP = 3
# Punctuation that separates digit groups besides spaces and dashes.
_SEPARATOR_MARKS = frozenset("./\\_")
# Categories read as blank: spaces, line and paragraph separators, invisible format marks.
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cf"})
# Beside a card number: its expiry (MM/YY, MM-YYYY, or "exp 0927") and security code.
_EXPIRY_DATE = re.compile(r"(?<!\d)(?:0?[1-9]|1[0-2])\s*[/\-]\s*(?:20)?\d{2}(?!\d)")
_EXPIRY_LABELLED = re.compile(
    r"(?P<keep>(?i:exp(?:iry|ires|iration)?|valid\s+thru|good\s+thru)[\s.:]*)\d{4}(?!\d)"
)
_SECURITY_CODE = re.compile(
    r"(?P<keep>(?i:cvv2?|cvc2?|cv2|csc|cid|security\s+code|sec\s+code)\W{0,3}(?:is\s+)?)"
    r"\d{3,4}(?!\d)"
)
_MASKED_CARD = re.compile(r"\[card ending \d{4}\]")
_CODE_AFTER_MASK = re.compile(r"(?P<keep>\][\s,;]{1,3})\d{3,4}(?![\d/\-])")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum used by card numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


@lru_cache(maxsize=4096)
def _digit(char: str) -> str | None:
    """The ASCII digit ``char`` stands for after NFKC ("４", "①", "𝟒"), else None."""
    normal = unicodedata.normalize("NFKC", char)
    if len(normal) == 1 and unicodedata.decimal(normal, None) is not None:
        return str(unicodedata.decimal(normal))
    return None


@lru_cache(maxsize=4096)
def _is_separator(char: str) -> bool:
    """A space, dash, dot or slash of any kind, judged after NFKC by Unicode category."""
    normal = unicodedata.normalize("NFKC", char)
    return bool(normal) and all(_separator_char(c) for c in normal)


def _separator_char(char: str) -> bool:
    if char.isspace() or char in _SEPARATOR_MARKS:
        return True
    if unicodedata.category(char) in _BLANK_CATEGORIES | {"Pd"}:
        return True
    # Minus signs are dashes to a reader but math symbols to Unicode (U+2212 is Sm).
    return "MINUS" in unicodedata.name(char, "")


def _groups(text: str) -> list[list[tuple[int, int, str]]]:
    """Runs of digit groups, as (start, end, ascii digits), joined by short separator gaps."""
    runs: list[list[tuple[int, int, str]]] = []
    run: list[tuple[int, int, str]] = []
    i, size = 0, len(text)
    while i < size:
        if _digit(text[i]) is None:
            i += 1
            continue
        start, digits = i, []
        while i < size and (d := _digit(text[i])) is not None:
            digits.append(d)
            i += 1
        if run and not _joined(text, run[-1][1], start):
            runs.append(run)
            run = []
        run.append((start, i, "".join(digits)))
    if run:
        runs.append(run)
    return runs


def _joined(text: str, end: int, start: int) -> bool:
    """Whether the gap between two digit groups only separates parts of one number."""
    gap = text[end:start]
    return 0 < len(gap) <= _MAX_GAP and all(_is_separator(c) for c in gap)


def mask_card_numbers(text: str) -> tuple[str, bool]:
    """Replace every Luhn-valid 13-19 digit card number with ``[card ending 1234]``.

    Returns the new text and whether anything was masked. Shorter or non-Luhn
    digit runs (phone numbers, amounts, dates, order numbers) are left alone.
    """
    pieces: list[str] = []
    cursor = 0
    for run in _groups(text):
        for start, end, digits in _card_spans(run):
            pieces.append(text[cursor:start])
            pieces.append(f"[card ending {digits[-4:]}]")
            cursor = end
    if not pieces:
        return text, False
    pieces.append(text[cursor:])
    return _mask_card_details("".join(pieces)), True


def holds_masked_card(text: str) -> bool:
    """Whether a line carries a card number masked before (by the gateway, on its way here)."""
    return bool(_MASKED_CARD.search(text))


def _mask_card_details(text: str) -> str:
    """The expiry dates and security codes of a message that held a card number."""
    text = _SECURITY_CODE.sub(lambda match: match["keep"] + "[security code]", text)
    text = _EXPIRY_LABELLED.sub(lambda match: match["keep"] + "[expiry]", text)
    text = _EXPIRY_DATE.sub("[expiry]", text)
    # Three or four digits right after the card or its expiry: the security code.
    return _CODE_AFTER_MASK.sub(lambda match: match["keep"] + "[security code]", text)


def _card_spans(groups: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Card numbers inside one run, as (start, end, digits), longest match first.

    A run may hold more than a card ("4111 1111 1111 1111 123" with a CVV), so
    spans of whole consecutive groups are tried, never splitting a group.
    """
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
