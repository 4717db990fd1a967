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

ROLES = ("agent", "supervisor")
AGENT_STATUSES = ("available", "away", "offline")


def for_browser() -> dict[str, Any]:
    """The vocabulary as the console's scripts read it (JSON: lists and labels)."""
    return {
        "skills": list(SKILLS),
        "priorities": PRIORITIES,
        "reasons": HANDOFF_REASONS,
        "resolutions": RESOLUTIONS,
    }
