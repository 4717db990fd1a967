"""Where two texts that look alike differ, said so that an editor can see it.

"8am-6pm" and "8am–6pm" print the same in most terminals; a failure message
that shows both leaves the editor staring. ``first_difference`` finds where the
expected text stops matching the text it was compared with and names the two
characters there, with their code points.
"""

from __future__ import annotations

import unicodedata

# Characters editors mix up, by the names they know them by.
NAMES = {
    "-": "hyphen",
    "\u2010": "Unicode hyphen",
    "\u2011": "non-breaking hyphen",
    "\u2012": "figure dash",
    "\u2013": "en dash",
    "\u2014": "em dash",
    "\u2212": "minus sign",
    "'": "straight apostrophe",
    "\u2018": "curly opening single quote",
    "\u2019": "curly apostrophe",
    '"': "straight double quote",
    "\u201c": "curly opening double quote",
    "\u201d": "curly closing double quote",
    " ": "space",
    "\u00a0": "non-breaking space",
    "\u2009": "thin space",
    "\u202f": "narrow non-breaking space",
    "\u2026": "ellipsis (one character)",
    "\t": "tab",
}
CONTEXT = 12


def name(char: str) -> str:
    """A character's everyday name, itself and its code point: `an en dash “–” (U+2013)`."""
    if not char:
        return "the end of the text"
    known = NAMES.get(char) or unicodedata.name(char, "character").lower()
    article = "an" if known[0] in "aeiou" else "a"
    return f"{article} {known} “{char}” (U+{ord(char):04X})"


def first_difference(expected: str, said: str) -> str | None:
    """Where ``expected`` first differs from ``said`` at its best-aligned place, in words.

    None when ``expected`` is in ``said``, when they agree on less than half of it,
    or when the characters there are ordinary letters or digits, which need no naming.
    Both are compared as the tests compare them: capitals and runs of spaces ignored.
    """
    want, got = normal(expected), normal(said)
    if want in got:
        return None
    # Look-alike characters swap one for one: line the texts up where most characters agree.
    best, start = -1, 0
    for offset in range(max(1, len(got) - len(want) + 1)):
        agreed = sum(1 for a, b in zip(want, got[offset:], strict=False) if a == b)
        if agreed > best:
            best, start = agreed, offset
    if best * 2 < len(want):
        return None
    at = next(k for k in range(len(want)) if got[start + k : start + k + 1] != want[k])
    other = got[start + at : start + at + 1]
    if not any(c in NAMES or not c.isascii() for c in (want[at], other)):
        return None
    before, shown = want[max(0, at - CONTEXT) : at], want[max(0, at - CONTEXT) : at + CONTEXT]
    return (
        f"they differ after “{before}”, in “{shown}”: the test has {name(want[at])} where the "
        f"bot has {name(other)}"
    )


def normal(text: str) -> str:
    """A text as the tests compare it: lower case, any run of whitespace one space."""
    return " ".join(text.lower().split())
