"""The one place that emits: who hears what, in which shape.

Rooms: one per conversation (every widget the customer has open), a second one per
conversation for its *plain* widgets (Rasa widgets, which know no `handoff` event and
are told status changes as bot text), one per agent (every console of theirs), all
agents, and supervisors. Lines the customer sees are stored in the transcript first,
so a reconnect replays exactly what was sent. Customers' clients get every line in
the shape Rasa's SocketIO channel emits, Tandem's extras under ``metadata``.
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


def plain_room(conversation_id: str) -> str:
    """The conversation's widgets that did not say they understand `handoff` events."""
    return f"conversation:{conversation_id}:plain"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


def customer_view(message: Message) -> dict[str, Any]:
    """A transcript line as customers' clients receive it: Rasa's own shape (``text``, and
    ``quick_replies`` when there are buttons) with Tandem's extras under ``metadata``."""
    metadata: dict[str, Any] = {"seq": message.seq, "timestamp": message.at, "sender": message.kind}
    if message.kind == "agent":
        metadata["agent_name"] = message.sender
    if message.kind == "customer" and message.data.get("message_id"):
        metadata["message_id"] = message.data["message_id"]  # the client's acknowledgement
    if message.kind == "system":
        metadata["status"] = message.data.get("status")
    view: dict[str, Any] = {"text": message.text}
    if message.data.get("quick_replies"):
        view["quick_replies"] = [
            {"content_type": "text", "title": reply["title"], "payload": reply["payload"]}
            for reply in message.data["quick_replies"]
        ]
    view["metadata"] = metadata
    return view


def queue_words(position: int | None, wait_seconds: float | None) -> str:
    """A waiting customer's place and wait in words, for widgets that only show text."""
    if position == 1:
        place = "You're next in line."
    elif position is not None and position > 1:
        place = f"You're number {position} in line."
    else:
        place = "You're in line for the next person available."
    if wait_seconds is None or wait_seconds < 0:
        return place
    minutes = round(wait_seconds / 60)
    if wait_seconds < 60:
        wait = "less than a minute"
    elif minutes <= 1:
        wait = "about a minute"
    else:
        wait = f"about {minutes} minutes"
    return f"{place} Estimated wait: {wait}."


def handoff_view(message: Message) -> dict[str, Any]:
    """A status line as the `handoff` event carries it: its extras at the top, beside the line."""
    return {**message.data, **customer_view(message)}


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
            {"title": str(b.get("title")), "payload": str(b.get("payload"))} for b in buttons
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
        """A status line as `handoff` to every widget, and as bot text to the plain ones."""
        self.to_customer(conversation_id, "handoff", handoff_view(message))
        self._to_plain(conversation_id, customer_view(message))

    def queue_place(
        self, conversation_id: str, position: int | None, wait_seconds: int | None, moved: bool
    ) -> None:
        """Where a waiting customer stands; plain widgets are told in words when they moved."""
        place = {"position": position, "wait_seconds": wait_seconds}
        self.to_customer(conversation_id, "handoff", {"status": "queued", **place})
        if moved:
            text = queue_words(position, wait_seconds)
            metadata = {"sender": "system", "status": "queued", **place}
            self._to_plain(conversation_id, {"text": text, "metadata": metadata})

    def _to_plain(self, conversation_id: str, view: dict[str, Any]) -> None:
        self._emit("bot_uttered", view, to=plain_room(conversation_id), namespace=CUSTOMERS)
