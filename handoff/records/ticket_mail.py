"""What tickets' mail says, and how a customer's reply is read: pure functions, no I/O.

The customer's address is not verified when a ticket is made, so its first mail holds only
the reference and our own words. Answers carry the reference in the subject, which is what
threads the customer's reply back (records/tickets.py, ``Tickets.receive``).
"""

from __future__ import annotations

import re

# A reference as mailed, found in a reply's subject or body (any case).
REFERENCE = re.compile(r"\bTKT-([0-9A-F]{8})\b", re.IGNORECASE)
# Each answer mailed ends so.
FOOTER = "\n\n--\nTo add to your request, reply to this email and keep {ticket} in the subject.\n"
# An "On <date>, <someone> wrote:" line that starts the quoted previous mail.
_QUOTE_HEADER = re.compile(r"^\s*On\b.*\bwrote:\s*$")


def first_subject(ticket: str) -> str:
    return f"Your request {ticket}"


def first_mail(ticket: str, after_chat: bool) -> str:
    """The mail that gives the customer their reference; ``after_chat``: an agent promised it."""
    why = (
        "As promised in our chat, we will follow up with you at this address."
        if after_chat
        else "No one from our team could join the chat, so we\nwill answer you at this address."
    )
    return (
        "Hello,\n\n"
        f"Thank you for contacting us. {why} Your reference is {ticket}.\n\n"
        "If you did not ask us to write to you, you can ignore this message.\n"
    )


def answer_subject(ticket: str) -> str:
    return f"Re: Your request {ticket} [{ticket}]"


def answer_body(ticket: str, text: str) -> str:
    """An agent's answer as mailed: their text, then how to reply so it threads."""
    return text + FOOTER.format(ticket=ticket)


def reference_in(*texts: str) -> str | None:
    """The first ticket reference in ``texts`` (subject first), upper-cased; None if none."""
    for text in texts:
        found = REFERENCE.search(text or "")
        if found:
            return f"TKT-{found.group(1).upper()}"
    return None


def without_quote(text: str) -> str:
    """A mail reply without the previous mail it quotes: ``>`` lines and what follows an
    "On … wrote:" line go; the simple cases only, the rest is kept as written."""
    kept: list[str] = []
    for line in text.splitlines():
        if _QUOTE_HEADER.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip()
