"""Several requests in one message: noted while one task runs, then done in order.

"whats my balance and also reset my password" starts one task (the one Rasa read);
the others are kept in the ``pending_tasks`` slot, with what the customer already
said for them (an address, an amount), and each starts when the one before ends.
The bot says what it will do next, in words from ``domain.yml`` (``utter_then_<task>``
when noted, ``utter_now_<task>`` when it starts).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from core.addresses import parse_address
from core.task_values import AmountError, read_amount

# Each task and the form that does it, in the order of the domain's intents.
TASK_FORMS = {
    "reset_password": "password_reset_form",
    "change_address": "address_form",
    "pay_bill": "payment_form",
    "check_balance": "balance_form",
}
FORM_TASKS = {form: task for task, form in TASK_FORMS.items()}
# How customers name each task inside a longer message.
_MENTIONS = {
    "reset_password": re.compile(
        r"\b(?:pass\s?word|passwd|pwd|log\s?in|sign\s?in|locked out)\b", re.IGNORECASE
    ),
    "change_address": re.compile(
        r"(?<!mail )(?<!mail-)\b(?:ad+res+e?s?|moved|moving|relocat\w*|new place)\b",
        re.IGNORECASE,
    ),
    "pay_bill": re.compile(r"\b(?:pay|paying|payment)\b", re.IGNORECASE),
    "check_balance": re.compile(
        r"\b(?:balance|how much (?:do )?i owe|what do i owe|amount due)\b", re.IGNORECASE
    ),
}
# "pay the full balance" is a payment, not a question about the balance.
_PAYING_BALANCE = re.compile(r"\bpay\w*\s+(?:\w+\s+){0,3}balance\b", re.IGNORECASE)
_AMOUNT = re.compile(r"(?:\$\s*\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s*(?:dollars|bucks|usd)\b)")


def tasks_asked(text: str) -> list[str]:
    """The tasks a message asks for, in the order it names them."""
    found: list[tuple[int, str]] = []
    for task, pattern in _MENTIONS.items():
        for match in pattern.finditer(text):
            if task == "check_balance" and any(
                paying.start() <= match.start() < paying.end()
                for paying in _PAYING_BALANCE.finditer(text)
            ):
                continue
            found.append((match.start(), task))
            break
    return [task for _, task in sorted(found)]


def amount_said(text: str) -> str | None:
    """An amount to pay named with its currency ("$40", "20 dollars"), as typed."""
    match = _AMOUNT.search(text)
    if match is None:
        return None
    try:
        read_amount(match.group(0))
    except AmountError:
        return None
    return match.group(0)


def pending(tracker: Tracker) -> list[str]:
    """The tasks still to do after this one (a copy, safe to change)."""
    value = tracker.get_slot("pending_tasks")
    return [task for task in value if task in TASK_FORMS] if isinstance(value, list) else []


def note_other_requests(
    dispatcher: CollectingDispatcher, tracker: Tracker, form: str, text: str
) -> dict[str, Any]:
    """Keep the tasks ``text`` asks for besides ``form``'s, and what it said for them.

    An address is kept in the address slots and an amount in ``early_amount``, so
    neither is asked again; each newly noted task is announced once.
    """
    current = FORM_TASKS.get(form)
    waiting = pending(tracker)
    new = [task for task in tasks_asked(text) if task != current and task not in waiting]
    if not new:
        return {}
    slots: dict[str, Any] = {"pending_tasks": waiting + new}
    for task in new:
        dispatcher.utter_message(response=f"utter_then_{task}")
    if "change_address" in new:
        parts = parse_address(text)
        slots.update({slot: value for slot, value in vars(parts).items() if value})
    if "pay_bill" in new and (amount := amount_said(text)):
        slots["early_amount"] = amount
    return slots


def next_task(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """When a task ends: start the next one the customer asked for, saying so."""
    waiting = pending(tracker)
    if not waiting:
        return []
    task, rest = waiting[0], waiting[1:]
    dispatcher.utter_message(response=f"utter_now_{task}")
    return [SlotSet("pending_tasks", rest or None), FollowupAction(TASK_FORMS[task])]
