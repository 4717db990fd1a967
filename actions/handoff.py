"""Handing the conversation to a person, with everything they need to carry on.

Every path to a person (asked for, repeated misunderstanding, a failed task, a
topic the bot does not serve) goes through ``hand_off``, which tells the customer
what happens next and ends the bot's turn with the handoff packet as a custom
message: ``{"handoff": {...}}``. The gateway queues the conversation on it.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.accounts import AccountNotFound
from actions.backend import account_client
from actions.forms import TRIES_BEFORE_HELP, failures, is_verified, latest_intent
from actions.values import format_money
from core.vocabulary import HANDOFF_REASONS

# Slots a person may see; the facts used to verify identity are never passed on.
SHARED_SLOTS = (
    "customer_id",
    "verified",
    "reset_identifier",
    "street",
    "city",
    "state",
    "postal_code",
    "payment_amount",
)
FORM_SKILLS = {
    "password_reset_form": "account",
    "address_form": "account",
    "payment_form": "billing",
    "balance_form": "billing",
}
INTENT_SKILLS = {
    "reset_password": "account",
    "lost_email_access": "account",
    "change_address": "account",
    "report_fraud": "account",
    "pay_bill": "billing",
    "check_balance": "billing",
    "billing_dispute": "billing",
}
INTENT_REASONS = {
    "billing_dispute": "unsupported_topic",
    "report_fraud": "unsupported_topic",
    "lost_email_access": "identity_verification",
}
RECENT_INTENTS = 5


def user_turns(tracker: Tracker) -> list[dict[str, Any]]:
    """The customer's messages so far, oldest first."""
    return [event for event in tracker.events if event.get("event") == "user"]


def _intent(event: dict[str, Any]) -> dict[str, Any]:
    return (event.get("parse_data") or {}).get("intent") or {}


def last_intents(tracker: Tracker, count: int = RECENT_INTENTS) -> list[dict[str, Any]]:
    """The latest intents with their confidence, newest last, for the agent's context."""
    return [
        {
            "name": _intent(turn).get("name"),
            "confidence": round(_intent(turn).get("confidence") or 0, 3),
        }
        for turn in user_turns(tracker)[-count:]
    ]


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """What the customer and the bot said, in order, with timestamps."""
    lines = []
    for event in tracker.events:
        kind = event.get("event")
        if kind in ("user", "bot") and event.get("text"):
            lines.append(
                {
                    "sender": "customer" if kind == "user" else "bot",
                    "text": event["text"],
                    "timestamp": event.get("timestamp"),
                }
            )
    return lines


def skill_for(tracker: Tracker) -> str:
    """The team that should take the chat: the task in progress, else the latest topic."""
    if tracker.active_loop_name in FORM_SKILLS:
        return FORM_SKILLS[tracker.active_loop_name]
    for turn in reversed(user_turns(tracker)):
        skill = INTENT_SKILLS.get(str(_intent(turn).get("name")))
        if skill:
            return skill
    return "general"


def priority_for(tracker: Tracker, reason: str) -> str:
    """Fraud and lock-outs are urgent; a failed task is high; the rest normal."""
    intent = latest_intent(tracker)
    if intent == "report_fraud" or reason == "identity_verification":
        return "urgent"
    if reason == "failed_task":
        return "high"
    return "normal"


def account_summary(tracker: Tracker) -> dict[str, str] | None:
    """What an agent may see of a verified customer's account, read as the chat is handed
    over: who they are, how to reach them, what they owe. Never the facts that verify identity
    (the phone's digits), nor more of the card than the customer hears of it."""
    if not is_verified(tracker):
        return None
    try:
        account = account_client().get(str(tracker.get_slot("customer_id")))
    except AccountNotFound:
        return None
    return {
        "name": account.name,
        "email": account.email,
        "address": f"{account.street}, {account.city} {account.postal_code}",
        "balance": format_money(account.balance),
        "due_date": account.due_date.isoformat(),
        "card": account.card,
        "card_status": account.card_status,
    }


def build_packet(tracker: Tracker, reason: str, skill: str | None = None) -> dict[str, Any]:
    """Everything the agent needs to carry on without asking the customer again."""
    if reason not in HANDOFF_REASONS:
        known = ", ".join(HANDOFF_REASONS)
        raise ValueError(f"unknown handoff reason {reason!r}; expected one of {known}")
    return {
        "reason": reason,
        "skill": skill or skill_for(tracker),
        "priority": priority_for(tracker, reason),
        "slots": {
            slot: tracker.get_slot(slot)
            for slot in SHARED_SLOTS
            if tracker.get_slot(slot) is not None
        },
        "active_form": tracker.active_loop_name,
        "requested_slot": tracker.get_slot("requested_slot") if tracker.active_loop_name else None,
        "last_intents": last_intents(tracker),
        "transcript": transcript(tracker),
        "account": account_summary(tracker),
    }


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, skill: str | None = None
) -> list[EventType]:
    """Tell the customer a person is coming, send the packet, and end any form."""
    packet = build_packet(tracker, reason, skill)
    message = (
        "utter_handoff_urgent"
        if packet["priority"] == "urgent" and reason != "identity_verification"
        else f"utter_handoff_{reason}"
    )
    dispatcher.utter_message(response=message)
    dispatcher.utter_message(json_message={"handoff": packet})
    # Always the same events, so rules can say what a handoff does in or out of a task.
    return [ActiveLoop(None), SlotSet("requested_slot", None)]


def reason_for(tracker: Tracker) -> str:
    """Why the customer is going to a person, from what they just said and how the task went."""
    intent = latest_intent(tracker)
    if intent in INTENT_REASONS:
        return INTENT_REASONS[intent]
    if max(failures(tracker).values(), default=0) >= TRIES_BEFORE_HELP:
        return "failed_validation"
    return "explicit_request"


class ActionHandoff(Action):
    """The customer asked for a person, or raised a topic only people handle."""

    def name(self) -> str:
        return "action_handoff"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        return hand_off(dispatcher, tracker, reason_for(tracker))


class ActionFallback(Action):
    """Asks the customer to rephrase; the second miss in a row goes to a person."""

    def name(self) -> str:
        return "action_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turns = user_turns(tracker)
        if len(turns) >= 2 and _intent(turns[-2]).get("name") == "nlu_fallback":
            return hand_off(dispatcher, tracker, "repeated_fallback")
        dispatcher.utter_message(response="utter_default")
        return []
