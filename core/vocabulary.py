"""The words every part of Tandem shares: skills, priorities, handoff reasons, resolutions.

The actions put them in handoff packets, the gateway routes and records by them,
and the console shows their labels: it fetches this module's ``for_browser()``
as ``/agent/vocabulary.js`` instead of keeping a copy. Add a word here, and
every part knows it.
"""

from __future__ import annotations

from typing import Any

# What an agent can help with; every agent can take a "general" chat.
SKILLS = ("account", "billing", "technical", "general")
GENERAL_SKILL = "general"

# Routing order: urgent chats (locked out, fraud) before high before normal.
PRIORITIES = {"urgent": "Urgent", "high": "High", "normal": "Normal"}

# Why a chat went to a person; the bot sends all but "bot_unavailable", which the
# gateway uses when Rasa does not answer.
HANDOFF_REASONS = {
    "explicit_request": "Asked for a person",
    "repeated_fallback": "Bot did not understand",
    "failed_validation": "Could not give valid details",
    "failed_task": "Task failed",
    "unsupported_topic": "Topic the bot does not handle",
    "identity_verification": "Identity verification",
    "bot_unavailable": "Assistant was down",
}

# How an agent ends a chat.
RESOLUTIONS = {
    "resolved": "Resolved",
    "unresolved": "Unresolved",
    "duplicate": "Duplicate",
    "spam": "Spam",
}
# How an archived chat ended when the agent handed it back to the bot (not an agent's choice).
RETURNED_TO_BOT = "returned_to_bot"
# Every way an archived chat ends, as reports and review name them.
ENDINGS = {
    **RESOLUTIONS,
    RETURNED_TO_BOT: "Handed back to the bot",
    "ticket": "Left an email (no one came)",
}

# The bot's tasks and what each step asks for, as an agent reads the bot's progress; a handoff
# packet names the form and its requested slot ("payment_form", "payment_confirmed").
TASKS = {
    "password_reset_form": "Resetting a password",
    "address_form": "Changing the address",
    "payment_form": "Paying a bill",
    "balance_form": "Checking the balance",
}
TASK_STEPS = {
    "reset_identifier": "the account's email or username",
    "account_identifier": "the account's email or username, to verify them",
    "phone_last4": "the last 4 digits of their phone, to verify them",
    "street": "the street",
    "city": "the city",
    "postal_code": "the postal code",
    "state": "the state",
    "address_confirmed": "a yes to save the new address",
    "payment_amount": "the amount to pay",
    "payment_confirmed": "a yes to make the payment",
}
# What a customer's message meant, in words; intents the gateway sends itself (EXTERNAL_...)
# and those without words here are not shown to agents.
INTENTS = {
    "greet": "said hello",
    "goodbye": "said goodbye",
    "affirm": "said yes",
    "deny": "said no",
    "thank": "said thanks",
    "bot_challenge": "asked if this is a bot",
    "out_of_scope": "asked something the bot does not handle",
    "reset_password": "wants to reset a password",
    "change_address": "wants to change their address",
    "pay_bill": "wants to pay a bill",
    "check_balance": "asked about the balance",
    "request_human": "asked for a person",
    "help": "asked for help",
    "stop": "wanted to stop the task",
    "inform": "gave details",
    "lost_email_access": "lost access to their email",
    "billing_dispute": "disputes a bill",
    "report_fraud": "reports fraud",
    "ask_why": "asked why the bot needs that",
    "resend_reset_link": "did not get the reset link",
    "service_status": "asked about an outage",
    "faq": "asked a common question",
}

ROLES = ("agent", "supervisor")
AGENT_STATUSES = ("available", "away", "offline")


def for_browser() -> dict[str, Any]:
    """The vocabulary as the console's scripts read it (JSON: lists and labels)."""
    return {
        "skills": list(SKILLS),
        "priorities": PRIORITIES,
        "reasons": HANDOFF_REASONS,
        "resolutions": RESOLUTIONS,
        "endings": ENDINGS,
        "tasks": TASKS,
        "task_steps": TASK_STEPS,
        "intents": INTENTS,
    }
