"""The queue side: a chat handed to people, routed to an agent, and the queue kept in view.

Waiting customers are told their place and estimated wait whenever either
changes; agents see the queue, supervisors every live chat. Pushes are batched
to once a second (``Housekeeping``) because every move shifts everyone behind it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from handoff.metrics import Metrics
from handoff.service.commands import with_message_id
from handoff.service.relay import Relay, agent_view
from handoff.service.routing import route_waiting
from handoff.stores import Stores
from handoff.stores.conversations import Conversation, InvalidTransition
from handoff.stores.presence import AgentState
from handoff.stores.queue import QueueEntry

# The quick reply that takes a waiting customer out of the queue, back to the bot; handled
# by the gateway, never given to the bot.
LEAVE_QUEUE = "/leave_queue"
LEAVE_QUEUE_REPLY = {"title": "Back to the assistant", "payload": LEAVE_QUEUE}
OFFLINE_TEXT = (
    "No one from our team is available right now. Leave your email address and "
    "we'll get back to you with this conversation in hand."
)

# Agents are shown the head of the queue, and its length: the whole of a long queue, pushed to
# every agent each second, would cost every console more than it could show.
QUEUE_SHOWN = 50


def queue_summary(entries: list[QueueEntry]) -> dict[str, Any]:
    """The queue as agents receive it: the first ``QUEUE_SHOWN`` entries and the length."""
    return {"entries": [asdict(e) for e in entries[:QUEUE_SHOWN]], "length": len(entries)}


def queue_place(entry: QueueEntry, waits: dict[str, float | None]) -> dict[str, Any]:
    """What a waiting customer is told: their place, and the estimated wait in whole seconds."""
    wait = waits[entry.conversation_id]
    return {"position": entry.position, "wait_seconds": None if wait is None else round(wait)}


def could_take(
    presence: list[AgentState], skill: str, now: float, grace_seconds: float = 0.0
) -> bool:
    """Someone with the skill could take a chat, even if busy or away for a moment: not
    offline, and connected (or gone less than ``grace_seconds``, so may come back)."""
    return any(
        a.status != "offline"
        and (a.disconnected_at is None or now - a.disconnected_at < grace_seconds)
        and a.can_handle(skill)
        for a in presence
    )


@dataclass
class Handoffs:
    """Queueing, routing and the queue's pushes, for every other part of the service."""

    stores: Stores
    relay: Relay
    is_open: Callable[[float], bool]
    metrics: Metrics = field(default_factory=Metrics)

    def hand_off(self, conversation_id: str, packet: dict[str, Any]) -> None:
        """The bot gave up or was asked to: queue the chat, or offer email if nobody can come."""
        now = time.time()
        self.metrics.handoffs.labels(str(packet.get("reason") or "unknown")[:40]).inc()
        skill = packet.get("skill") or "general"
        priority = packet.get("priority") or "normal"
        # Counted whether or not anyone can come: a handoff nobody took is not the bot's success.
        self.stores.daily.handed_off(conversation_id, now)
        self._name_verified_customer(conversation_id, packet)
        if not self.is_open(now) or not could_take(self.stores.presence.all(), skill, now):
            # A waiting chat (asking again while Rasa is down) keeps its own handoff's fields.
            with contextlib.suppress(InvalidTransition):
                self.stores.conversations.keep_untaken_handoff(
                    conversation_id, skill, priority, packet.get("reason"), packet
                )
            self.relay.system(conversation_id, "offline", OFFLINE_TEXT)
            self.stores.tickets.offer(conversation_id)
            return
        self.stores.queue.enqueue(
            conversation_id, priority, skill, reason=packet.get("reason"), packet=packet
        )
        self.route()
        if self.stores.conversations.get(conversation_id).mode == "queued":
            self.tell_waiting(conversation_id)
            self.push_queue(only=conversation_id)

    def tell_waiting(self, conversation_id: str) -> None:
        """Say that a person will come, and how to go back to the bot instead."""
        self.relay.system(
            conversation_id,
            "waiting",
            "You're in the queue for a person: anything you write here, they'll see. "
            "Meanwhile I can still help with simple things, or you can go back to the assistant.",
            quick_replies=[LEAVE_QUEUE_REPLY],
        )

    def _name_verified_customer(self, conversation_id: str, packet: dict[str, Any]) -> None:
        """A guest who proved to the bot who they are is called by their account's name from
        now on (queue, chat, canned responses, supervisors), as a website's customer is."""
        name = (packet.get("account") or {}).get("name")
        customer = self.stores.conversations.get(conversation_id).customer
        if isinstance(name, str) and name and not customer.get("name"):
            self.stores.conversations.set_fields(
                conversation_id, customer={**customer, "name": name}
            )

    def offer_email_to_stranded(self, now: float, grace_seconds: float) -> None:
        """Waiting customers no one can come to (the last agent with the skill left, or
        hours ended) are offered email once, and may keep waiting or go back to the bot."""
        entries = self.stores.queue.entries()
        if not entries:  # most ticks: nobody waits, so presence need not be read
            return
        presence = self.stores.presence.all()
        for entry in entries:
            could_come = self.is_open(now) and could_take(presence, entry.skill, now, grace_seconds)
            if could_come or not self.stores.queue.first_stranded(entry.conversation_id):
                continue
            self.relay.system(
                entry.conversation_id,
                "offline",
                f"{OFFLINE_TEXT} You can also keep waiting, or go back to the assistant.",
                quick_replies=[LEAVE_QUEUE_REPLY],
            )
            self.stores.tickets.offer(entry.conversation_id)

    def leave_queue(self, conversation_id: str) -> None:
        """The waiting customer would rather go back to the bot."""
        try:
            self.stores.conversations.transition(conversation_id, "bot", expected={"queued"})
        except InvalidTransition:  # an agent took the chat meanwhile: they stay with them
            return
        self.queue_changed()
        self.relay.system(
            conversation_id, "returned_to_bot", "You've left the queue. How can I help?"
        )

    def requeue(self, conversation: Conversation, skill: str | None = None) -> None:
        """Put an agent's chat back at the front of the queue (transfer, agent gone)."""
        self.stores.queue.enqueue(
            conversation.id,
            conversation.priority or "normal",
            skill or conversation.skill or "general",
            front=True,
        )

    def agent_gone(self, agent_id: str, notice: str) -> None:
        """An agent is gone (grace period over, or logged out): offline, and each of their
        chats back at the front of the queue, its customer told ``notice``."""
        presence = self.stores.presence
        for conversation_id in sorted(presence.chats(agent_id)):
            self.requeue(self.stores.conversations.get(conversation_id))
            self.relay.system(conversation_id, "requeued", notice)
        presence.offline(agent_id)
        self.route()

    def route(self) -> None:
        """Give waiting chats to free agents, and tell both sides."""
        self.route_waiting()
        self.queue_changed()

    def route_waiting(self) -> bool:
        """Give waiting chats to free agents, and tell both sides; True if any was given."""
        assigned = route_waiting(self.stores.queue, self.stores.presence)
        for conversation_id, agent_id in assigned:
            self.assigned(conversation_id, agent_id)
        return bool(assigned)

    def assigned(
        self, conversation_id: str, agent_id: str, message_id: str | None = None
    ) -> dict[str, Any]:
        """Tell the customer who joined, and give the agent the chat with its context; the chat
        as sent, with the ``message_id`` of the agent's `accept` that took it, if any."""
        self.stores.daily.answered(conversation_id, time.time())
        state = self.stores.presence.get(agent_id)
        name = state.name if state else agent_id
        self.relay.system(conversation_id, "assigned", f"{name} has joined the chat.", agent=name)
        chat = {**self.chat_for_agent(conversation_id), **with_message_id(message_id)}
        self.relay.to_agent(agent_id, "assigned", chat)
        return chat

    def chat_for_agent(self, conversation_id: str) -> dict[str, Any]:
        """Everything an agent sees beside a chat: packet, customer, and the newest page of
        the transcript with notes (``has_more``: older lines to ask for with `resume`)."""
        conversation = self.stores.conversations.get(conversation_id)
        page = self.transcript_page(conversation_id)
        return {
            "conversation": asdict(conversation),
            "transcript": page["messages"],
            "has_more": page["has_more"],
        }

    def transcript_page(
        self, conversation_id: str, after_seq: int = 0, before_seq: int | None = None
    ) -> dict[str, Any]:
        """The newest lines, notes included, after ``after_seq`` and below ``before_seq``."""
        page = self.stores.transcripts.page(
            conversation_id, after_seq=after_seq, before_seq=before_seq, include_notes=True
        )
        return {
            "messages": [agent_view(conversation_id, m) for m in page.messages],
            "has_more": page.has_more,
        }

    def queue_changed(self) -> None:
        """Mark the queue for the next ``push_queue`` (once a second, from housekeeping)."""
        self.stores.queue.mark_changed()

    def push_queue(self, only: str | None = None) -> None:
        """Tell waiting customers their place and wait where either changed; agents the queue.

        A customer who just joined the queue is told at once (``only``); everyone
        else in the once-a-second batch.
        """
        queue = self.stores.queue
        entries = queue.entries()
        waits = queue.estimated_waits(entries)
        pushed = queue.pushed()
        changed = {}
        for entry in entries:
            if only not in (None, entry.conversation_id):
                continue
            place = queue_place(entry, waits)
            signature = f"{place['position']}|{place['wait_seconds']}"
            before = pushed.get(entry.conversation_id)
            if before != signature:
                changed[entry.conversation_id] = signature
                moved = before is None or before.split("|")[0] != str(place["position"])
                self.relay.queue_place(entry.conversation_id, **place, moved=moved)
        if only is not None:
            queue.record_pushed(changed)
            return
        queue.record_pushed(changed, gone=set(pushed) - {e.conversation_id for e in entries})
        self.relay.to_all_agents("queue", queue_summary(entries))
        live = [asdict(c) for c in self.stores.conversations.live()]
        self.relay.to_supervisors("live", {"conversations": live})

    def queue_status(self, conversation: Conversation) -> dict[str, Any] | None:
        """A waiting customer's place and wait, for the `history` after a reload; else None."""
        if conversation.mode != "queued":  # most are with the bot: no need to read the queue
            return None
        entries = self.stores.queue.entries()
        for entry in entries:
            if entry.conversation_id == conversation.id:
                return queue_place(entry, self.stores.queue.estimated_waits(entries))
        return None

    def queue_view(self) -> list[dict[str, Any]]:
        """The queue with each chat's handoff reason, customer name and the customer's latest
        line (``preview``), for the console's queue.

        Asked for over HTTP when the console meets new entries, or an entry whose ``last_seq``
        grew (the customer wrote), not added to every `queue` push: those go to every agent
        and must stay as light as they are.
        """
        entries = self.stores.queue.entries()[:QUEUE_SHOWN]
        ids = [e.conversation_id for e in entries]
        details = self.stores.conversations.reasons_and_names(ids)
        previews = self.stores.transcripts.last_customer_lines(ids)
        return [
            {**asdict(entry), "reason": reason, "customer_name": name, "preview": preview}
            for entry, (reason, name), preview in zip(entries, details, previews, strict=True)
        ]

    def record_handle_time(self, conversation: Conversation) -> None:
        if conversation.assigned_at:
            self.stores.queue.record_handle_time(time.time() - conversation.assigned_at)
