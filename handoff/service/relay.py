"""The one place that emits: who hears what, in which shape.

Rooms: one per conversation (every widget the customer has open), one per agent
(every console of theirs), all agents, and supervisors. Lines the customer sees
are stored in the transcript first, so a reconnect replays exactly what was sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from handoff.stores.transcripts import Message, TranscriptStore

CUSTOMERS = "/"
AGENTS = "/agent"
ALL_AGENTS = "agents"
SUPERVISORS = "supervisors"

Emit = Callable[..., None]


def conversation_room(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


def customer_view(message: Message) -> dict[str, Any]:
    """A transcript line as the customer's widget receives it."""
    view: dict[str, Any] = {"seq": message.seq, "timestamp": message.at, "text": message.text}
    if message.kind in ("bot", "agent"):
        view["sender"] = message.kind
    if message.kind == "agent":
        view["agent_name"] = message.sender
    if message.kind == "customer":
        view["sender"] = "customer"
        if message.data.get("message_id"):  # the client's id for the line: its acknowledgement
            view["message_id"] = message.data["message_id"]
    if message.kind == "system":
        view["sender"] = "system"
        view["status"] = message.data.get("status")
    if message.data.get("quick_replies"):
        view["quick_replies"] = message.data["quick_replies"]
    return view


def agent_view(conversation_id: str, message: Message) -> dict[str, Any]:
    """A transcript line as the agent console receives it (notes included)."""
    return {"conversation_id": conversation_id, **asdict(message)}


class Relay:
    """Emits every event of both namespaces; stores the lines customers are told first."""

    def __init__(self, emit: Emit, transcripts: TranscriptStore) -> None:
        self._emit = emit
        self._transcripts = transcripts

    def to_customer(self, conversation_id: str, event: str, data: Any) -> None:
        self._emit(event, data, to=conversation_room(conversation_id), namespace=CUSTOMERS)

    def to_agent(self, agent_id: str, event: str, data: Any) -> None:
        self._emit(event, data, to=agent_room(agent_id), namespace=AGENTS)

    def to_all_agents(self, event: str, data: Any) -> None:
        self._emit(event, data, to=ALL_AGENTS, namespace=AGENTS)

    def to_supervisors(self, event: str, data: Any) -> None:
        self._emit(event, data, to=SUPERVISORS, namespace=AGENTS)

    def line_to_agent(self, agent_id: str, conversation_id: str, message: Message) -> None:
        """A transcript line (customer's, agent's or a note) to the agent's consoles."""
        self.to_agent(agent_id, "message", agent_view(conversation_id, message))

    def bot_says(self, conversation_id: str, reply: dict[str, Any]) -> None:
        """Store one of Rasa's replies and send it to the customer, buttons as quick replies."""
        buttons = reply.get("buttons") or []
        quick_replies = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
        ]
        data: dict[str, Any] = {"quick_replies": quick_replies} if quick_replies else {}
        if reply.get("secret_answer"):
            data["secret_answer"] = True  # the customer's answer is stored masked
        message = self._transcripts.append(conversation_id, "bot", str(reply["text"]), data=data)
        self.to_customer(conversation_id, "bot_uttered", customer_view(message))

    def system(self, conversation_id: str, status: str, text: str, **data: Any) -> Message:
        """A status change, kept in the transcript and pushed to the customer as `handoff`."""
        message = self.status_line(conversation_id, status, text, **data)
        self.announce(conversation_id, message)
        return message

    def status_line(self, conversation_id: str, status: str, text: str, **data: Any) -> Message:
        """Keep a status change in the transcript; ``announce`` sends it."""
        return self._transcripts.append(
            conversation_id, "system", text, data={"status": status, **data}
        )

    def announce(self, conversation_id: str, message: Message) -> None:
        self.to_customer(conversation_id, "handoff", {**customer_view(message), **message.data})
