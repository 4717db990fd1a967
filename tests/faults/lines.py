"""Counting lines across a fault: what one side sent, what the other received."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.gateway_client import AgentClient, Customer, has_text, sender


@dataclass
class Tally:
    """Lines one side sent and the other side received, by their (unique) text."""

    name: str
    sent: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    note: str = ""  # what happened on the way, for the report

    def counts(self) -> dict[str, int]:
        """Sent, delivered (at least once), lost (never) and duplicated (extra copies)."""
        got = Counter(self.received)
        return {
            "sent": len(self.sent),
            "delivered": sum(1 for text in self.sent if got[text]),
            "lost": sum(1 for text in self.sent if not got[text]),
            "duplicated": sum(copies - 1 for copies in got.values() if copies > 1),
        }

    def check(self) -> None:
        """Fail on any line lost or received twice, with the counts."""
        counts = self.counts()
        assert counts["lost"] == counts["duplicated"] == 0, f"{self.name}: {counts}"


def customer_says(customer: Customer, text: str, message_id: str | None = None) -> str:
    """The customer sends ``text`` (with ``message_id``, for a resend); returns the text."""
    customer.say(text, message_id=message_id)
    return text


def agent_says(agent: AgentClient, conversation_id: str, text: str) -> str:
    """The agent sends ``text`` and waits for the gateway to take it; returns the text."""
    agent.act("send", conversation_id=conversation_id, text=text)
    agent.wait_for("message", has_text(text))
    return text


def agent_lines(customer: Customer) -> list[str]:
    """The agent's lines a customer's socket received, live or in a resumed history."""
    lines = []
    for event, data in customer.seen:
        if event == "bot_uttered" and sender(data) == "agent":
            lines.append(data["text"])
        elif event == "history":
            lines += [m["text"] for m in data["messages"] if sender(m) == "agent"]
    return lines


def customer_lines(agent: AgentClient, conversation_id: str) -> list[str]:
    """The customer's lines an agent's console received, live or in its state."""
    lines = []
    for event, data in agent.seen:
        if event == "message" and data["kind"] == "customer":
            lines.append(data["text"])
        elif event == "state":
            lines += [
                line["text"]
                for chat in data["chats"]
                if chat["conversation"]["id"] == conversation_id
                for line in chat["transcript"]
                if line["kind"] == "customer"
            ]
    return lines
