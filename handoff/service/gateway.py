"""What the gateway does when a customer, the bot or an agent acts.

The Socket.IO namespaces (customers.py, agent_console.py) only check input and
call a ``Gateway`` method; every decision about who owns a conversation, what is
stored and who is told lives here. State is in Redis (conversations, transcripts,
queue, presence), so any gateway process can serve any event.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import redis

from handoff.customer_tokens import InvalidCustomerToken, verify_customer_token
from handoff.rasa_client import RasaClient, RasaError
from handoff.records.agents import Agent
from handoff.records.archive import Archive, InvalidEmail
from handoff.service.routing import route_waiting
from handoff.stores.conversations import (
    QUEUE_CHANGED_KEY,
    QUEUE_PUSHED_KEY,
    Conversation,
    ConversationStore,
    rate_key,
    sla_raised_key,
)
from handoff.stores.daily import DailyCounts
from handoff.stores.presence import Presence
from handoff.stores.queue import AtCapacity, HandoffQueue, NotQueued, QueueEntry
from handoff.stores.transcripts import Message, TranscriptStore

CUSTOMERS = "/"
AGENTS = "/agent"
ALL_AGENTS = "agents"
SUPERVISORS = "supervisors"
# The payload a customer's "Talk to a person" button sends; understood even when Rasa is down.
REQUEST_HUMAN = "/request_human"
RESOLUTIONS = ("resolved", "unresolved", "duplicate", "spam")
# Per conversation, whatever the number of connections: at most this many messages a minute.
MESSAGES_PER_MINUTE = 30

Emit = Callable[..., None]


class GatewayError(Exception):
    """An event the gateway refuses; ``code`` is sent to the client with the message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


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
    if message.kind == "system":
        view["sender"] = "system"
        view["status"] = message.data.get("status")
    if message.data.get("quick_replies"):
        view["quick_replies"] = message.data["quick_replies"]
    return view


def agent_view(conversation_id: str, message: Message) -> dict[str, Any]:
    """A transcript line as the agent console receives it (notes included)."""
    return {"conversation_id": conversation_id, **asdict(message)}


def queue_place(entry: QueueEntry, waits: dict[str, float | None]) -> dict[str, Any]:
    """What a waiting customer is told: their place, and the estimated wait in whole seconds."""
    wait = waits[entry.conversation_id]
    return {"position": entry.position, "wait_seconds": None if wait is None else round(wait)}


class Gateway:
    """The gateway's state and decisions, shared by both namespaces and the background loop."""

    def __init__(
        self,
        redis_client: redis.Redis,
        rasa: RasaClient,
        archive: Archive,
        emit: Emit,
        customer_token_secret: str,
        grace_seconds: float,
        sla_seconds: float,
        is_open: Callable[[float], bool],
    ) -> None:
        self.conversations = ConversationStore(redis_client)
        self.transcripts = TranscriptStore(redis_client)
        self.presence = Presence(redis_client)
        self.queue = HandoffQueue(redis_client, self.conversations)
        self.daily = DailyCounts(redis_client)
        self.rasa = rasa
        self.archive = archive
        self.emit = emit
        self.customer_token_secret = customer_token_secret
        self.grace_seconds = grace_seconds
        self.sla_seconds = sla_seconds
        self.is_open = is_open
        self._redis = redis_client

    # --- customers ---------------------------------------------------------------

    def open_session(
        self, session_id: str, customer_token: str | None
    ) -> tuple[Conversation, GatewayError | None]:
        """Create or resume a conversation; a bad token is reported and the chat stays anonymous."""
        customer: dict[str, Any] = {}
        problem = None
        if customer_token:
            try:
                customer = verify_customer_token(customer_token, self.customer_token_secret)
            except InvalidCustomerToken as error:
                problem = GatewayError("invalid_customer_token", f"{error} Continuing as a guest.")
        conversation = self.conversations.open(session_id, customer or None)
        if customer and conversation.customer != customer:
            self.conversations.set_fields(session_id, customer=customer)
        if customer and conversation.mode == "bot":
            self._tell_bot_who(session_id, customer)
        return self.conversations.get(session_id), problem

    def _tell_bot_who(self, conversation_id: str, customer: dict[str, Any]) -> None:
        """The website vouched for the customer: the assistant skips in-chat verification."""
        # If Rasa is down, the next message to the bot reports it.
        with contextlib.suppress(RasaError):
            self.rasa.set_slots(
                conversation_id,
                {"customer_id": customer["customer_id"], "verified": True},
            )

    def check_conversation_rate(self, conversation_id: str) -> None:
        """Refuse a flood spread over several connections of one conversation."""
        key = rate_key(conversation_id, int(time.time() // 60))
        count = self._redis.incr(key)
        if count == 1:
            self._redis.expire(key, 120)
        if int(count) > MESSAGES_PER_MINUTE:
            raise GatewayError(
                "rate_limited", "Too many messages in a minute; please wait a moment."
            )

    def missed(self, conversation_id: str, last_seq: int) -> list[dict[str, Any]]:
        """What the customer has not seen yet, for a resume."""
        return [customer_view(m) for m in self.transcripts.since(conversation_id, last_seq)]

    def customer_says(self, conversation_id: str, text: str) -> None:
        """Store the message, then give it to whoever owns the conversation: bot, queue or agent."""
        conversation = self.conversations.get(conversation_id)
        if conversation.mode == "closed":
            conversation = self.conversations.transition(conversation_id, "bot")
        message = self.transcripts.append(conversation_id, "customer", text)
        self.daily.customer_wrote(conversation_id, message.at)
        self.emit(
            "user_message",
            customer_view(message),
            to=conversation_room(conversation_id),
            namespace=CUSTOMERS,
        )
        if conversation.mode == "bot":
            self._ask_bot(conversation_id, message.text)
        elif conversation.mode == "assigned" and conversation.agent_id:
            self.emit(
                "message",
                agent_view(conversation_id, message),
                to=agent_room(conversation.agent_id),
                namespace=AGENTS,
            )
        # queued: kept in the transcript; the agent who takes the chat reads it there

    def _ask_bot(self, conversation_id: str, text: str) -> None:
        try:
            replies = self.rasa.send(conversation_id, text)
        except RasaError:
            if text.strip() == REQUEST_HUMAN:
                self.hand_off(conversation_id, {"reason": "bot_unavailable", "skill": "general"})
            else:
                self._system(
                    conversation_id,
                    "bot_unavailable",
                    "Our assistant is not available right now. Would you like to talk to a person?",
                    quick_replies=[{"title": "Talk to a person", "payload": REQUEST_HUMAN}],
                )
            return
        for reply in replies:
            packet = (reply.get("custom") or {}).get("handoff")
            if packet is not None:
                self.hand_off(conversation_id, packet)
            elif reply.get("text"):
                self._bot_says(conversation_id, reply)

    def _bot_says(self, conversation_id: str, reply: dict[str, Any]) -> None:
        buttons = reply.get("buttons") or []
        quick_replies = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in buttons
        ]
        message = self.transcripts.append(
            conversation_id,
            "bot",
            str(reply["text"]),
            data={"quick_replies": quick_replies} if quick_replies else None,
        )
        self.emit(
            "bot_uttered",
            customer_view(message),
            to=conversation_room(conversation_id),
            namespace=CUSTOMERS,
        )

    def _system(self, conversation_id: str, status: str, text: str, **data: Any) -> Message:
        """A status change, kept in the transcript and pushed to the customer as `handoff`."""
        message = self._status_line(conversation_id, status, text, **data)
        self._announce(conversation_id, message)
        return message

    def _status_line(self, conversation_id: str, status: str, text: str, **data: Any) -> Message:
        return self.transcripts.append(
            conversation_id, "system", text, data={"status": status, **data}
        )

    def _announce(self, conversation_id: str, message: Message) -> None:
        self.emit(
            "handoff",
            {**customer_view(message), **message.data},
            to=conversation_room(conversation_id),
            namespace=CUSTOMERS,
        )

    def leave_email(self, conversation_id: str, email: str) -> str:
        """No one to take the chat: keep a ticket with the transcript and close the chat."""
        try:
            ticket = self.archive.create_ticket(
                conversation_id, email, self.transcripts.all(conversation_id)
            )
        except InvalidEmail as error:
            raise GatewayError("bad_email", str(error)) from error
        conversation = self.conversations.get(conversation_id)
        if conversation.mode != "closed":
            conversation = self.conversations.transition(
                conversation_id, "closed", resolution="ticket"
            )
            self._queue_changed()
        self._system(
            conversation_id,
            "ticket",
            f"Thanks, we'll email you at {email}. Your reference is {ticket}.",
            ticket=ticket,
        )
        self.archive.archive(conversation, self.transcripts.all(conversation_id))
        return ticket

    def rate(self, conversation_id: str, rating: int) -> None:
        conversation = self.conversations.get(conversation_id)
        if conversation.mode != "closed":
            raise GatewayError("not_closed", "Ratings are given when the chat has ended.")
        self.conversations.set_fields(conversation_id, csat=rating)
        self.archive.archive(
            self.conversations.get(conversation_id), self.transcripts.all(conversation_id)
        )
        self._system(conversation_id, "rated", "Thanks for your feedback!", rating=rating)

    # --- handoff -----------------------------------------------------------------

    def hand_off(self, conversation_id: str, packet: dict[str, Any]) -> None:
        """The bot gave up or was asked to: queue the chat, or offer email if nobody can come."""
        now = time.time()
        skill = packet.get("skill") or "general"
        priority = packet.get("priority") or "normal"
        if not self.is_open(now) or not self._anyone_could_take(skill):
            self._system(
                conversation_id,
                "offline",
                "No one from our team is available right now. Leave your email address and "
                "we'll get back to you with this conversation in hand.",
            )
            return
        self.queue.enqueue(
            conversation_id, priority, skill, reason=packet.get("reason"), packet=packet
        )
        self.daily.handed_off(conversation_id, now)
        self.route()
        if self.conversations.get(conversation_id).mode == "queued":
            self.push_queue(only=conversation_id)

    def _anyone_could_take(self, skill: str) -> bool:
        """Someone connected with the skill, even if busy or away for a moment."""
        return any(
            a.status != "offline" and a.disconnected_at is None and a.can_handle(skill)
            for a in self.presence.all()
        )

    def route(self) -> None:
        """Give waiting chats to free agents, and tell both sides."""
        self._route_waiting()
        self._queue_changed()

    def _route_waiting(self) -> bool:
        """Give waiting chats to free agents, and tell both sides; True if any was given."""
        assigned = route_waiting(self.queue, self.presence)
        for conversation_id, agent_id in assigned:
            self._assigned(conversation_id, agent_id)
        return bool(assigned)

    def _assigned(self, conversation_id: str, agent_id: str) -> None:
        state = self.presence.get(agent_id)
        name = state.name if state else agent_id
        self._system(
            conversation_id,
            "assigned",
            f"{name} has joined the chat.",
            agent=name,
        )
        self.emit(
            "assigned",
            self.chat_for_agent(conversation_id),
            to=agent_room(agent_id),
            namespace=AGENTS,
        )

    def chat_for_agent(self, conversation_id: str) -> dict[str, Any]:
        """Everything an agent sees beside a chat: packet, customer, transcript with notes."""
        conversation = self.conversations.get(conversation_id)
        messages = self.transcripts.since(conversation_id, 0, include_notes=True)
        return {
            "conversation": asdict(conversation),
            "transcript": [agent_view(conversation_id, m) for m in messages],
        }

    def _queue_changed(self) -> None:
        """Mark the queue for the next ``push_queue`` (once a second, from ``tick``)."""
        self._redis.set(QUEUE_CHANGED_KEY, "1")

    def push_queue(self, only: str | None = None) -> None:
        """Tell waiting customers their place and wait where either changed; agents the queue.

        Every move of the queue shifts everyone behind it, so pushes are batched to once a
        second by ``tick``; a customer who just joined the queue is told at once (``only``).
        """
        entries = self.queue.entries()
        waits = self.queue.estimated_waits(entries)
        pushed = self._redis.hgetall(QUEUE_PUSHED_KEY)
        changed = {}
        for entry in entries:
            if only not in (None, entry.conversation_id):
                continue
            update = {"status": "queued", **queue_place(entry, waits)}
            signature = f"{update['position']}|{update['wait_seconds']}"
            if pushed.get(entry.conversation_id) != signature:
                changed[entry.conversation_id] = signature
                self.emit(
                    "handoff",
                    update,
                    to=conversation_room(entry.conversation_id),
                    namespace=CUSTOMERS,
                )
        if changed:
            self._redis.hset(QUEUE_PUSHED_KEY, mapping=changed)
        if only is not None:
            return
        gone = set(pushed) - {e.conversation_id for e in entries}
        if gone:
            self._redis.hdel(QUEUE_PUSHED_KEY, *gone)
        self.emit(
            "queue", {"entries": [asdict(e) for e in entries]}, to=ALL_AGENTS, namespace=AGENTS
        )
        self.emit(
            "live",
            {"conversations": [asdict(c) for c in self.conversations.live()]},
            to=SUPERVISORS,
            namespace=AGENTS,
        )

    def queue_status(self, conversation: Conversation) -> dict[str, Any] | None:
        """A waiting customer's place and wait, for the `history` after a reload; else None."""
        if conversation.mode != "queued":  # most are with the bot: no need to read the queue
            return None
        entries = self.queue.entries()
        for entry in entries:
            if entry.conversation_id == conversation.id:
                return queue_place(entry, self.queue.estimated_waits(entries))
        return None

    def queue_view(self, entries: list[QueueEntry]) -> list[dict[str, Any]]:
        """Queue entries with the handoff reason and the customer's name, for the console's table.

        Asked for over HTTP when the console meets new entries, not added to every `queue`
        push: those go to every agent each second and must stay as light as they are.
        """
        details = self.conversations.reasons_and_names([e.conversation_id for e in entries])
        return [
            {**asdict(entry), "reason": reason, "customer_name": name}
            for entry, (reason, name) in zip(entries, details, strict=True)
        ]

    # --- agents ------------------------------------------------------------------

    def agent_online(self, agent: Agent) -> dict[str, Any]:
        """An agent connected (or came back within the grace period): their chats and the queue.

        Call ``route`` once the agent has this state, so new chats arrive after it.
        """
        self.presence.online(agent.id, agent.name, agent.skills, agent.capacity)
        chats = [self.chat_for_agent(c) for c in sorted(self.presence.chats(agent.id))]
        return {
            "agent": asdict(agent),
            "chats": chats,
            "queue": [asdict(e) for e in self.queue.entries()],
        }

    def agent_disconnected(self, agent_id: str) -> None:
        """Keep their chats for the grace period; ``tick`` requeues them after it."""
        self.presence.disconnected(agent_id, time.time())

    def set_status(self, agent: Agent, status: str) -> None:
        if status not in ("available", "away"):
            raise GatewayError("bad_status", "Status is 'available' or 'away'.")
        self.presence.set_status(agent.id, status)
        # Every console of the agent shows it, and a client knows when it has taken effect.
        self.emit("status", {"status": status}, to=agent_room(agent.id), namespace=AGENTS)
        if status == "available":
            self.route()

    def _owned(self, agent: Agent, conversation_id: str) -> Conversation:
        """The conversation, if this agent owns it (supervisors too act only on their own)."""
        conversation = self.conversations.get(conversation_id)
        if conversation.mode != "assigned" or conversation.agent_id != agent.id:
            raise GatewayError("not_your_conversation", "This conversation is not assigned to you.")
        return conversation

    def accept(self, agent: Agent, conversation_id: str) -> None:
        """An agent picks a chat from the queue by hand."""
        try:
            self.queue.claim(conversation_id, agent.id)
        except NotQueued as error:
            raise GatewayError("not_queued", "Someone else has taken this chat.") from error
        except AtCapacity as error:
            raise GatewayError("at_capacity", "You have as many chats as you can take.") from error
        self._assigned(conversation_id, agent.id)
        self._queue_changed()

    def agent_says(self, agent: Agent, conversation_id: str, text: str) -> None:
        self._owned(agent, conversation_id)
        message = self.transcripts.append(conversation_id, "agent", text, sender=agent.name)
        self.conversations.set_fields(conversation_id, first_agent_reply_at=message.at)
        self.emit(
            "bot_uttered",
            customer_view(message),
            to=conversation_room(conversation_id),
            namespace=CUSTOMERS,
        )
        self.emit(
            "message",
            agent_view(conversation_id, message),
            to=agent_room(agent.id),
            namespace=AGENTS,
        )

    def agent_typing(self, agent: Agent, conversation_id: str, typing: bool) -> None:
        self._owned(agent, conversation_id)
        self.emit(
            "typing",
            {"sender": "agent", "typing": typing},
            to=conversation_room(conversation_id),
            namespace=CUSTOMERS,
        )

    def customer_typing(self, conversation_id: str, typing: bool) -> None:
        conversation = self.conversations.get(conversation_id)
        if conversation.mode == "assigned" and conversation.agent_id:
            self.emit(
                "typing",
                {"conversation_id": conversation_id, "typing": typing},
                to=agent_room(conversation.agent_id),
                namespace=AGENTS,
            )

    def note(self, agent: Agent, conversation_id: str, text: str) -> None:
        """An internal note: for agents and supervisors, never the customer."""
        self._owned(agent, conversation_id)
        message = self.transcripts.append(conversation_id, "note", text, sender=agent.name)
        self.emit(
            "message",
            agent_view(conversation_id, message),
            to=agent_room(agent.id),
            namespace=AGENTS,
        )

    def resume(self, agent: Agent, conversation_id: str, last_seq: int) -> list[dict[str, Any]]:
        """What an agent missed in a chat of theirs (or any chat, for a supervisor)."""
        if agent.role != "supervisor":
            self._owned(agent, conversation_id)
        messages = self.transcripts.since(conversation_id, last_seq, include_notes=True)
        return [agent_view(conversation_id, m) for m in messages]

    def transfer(
        self, agent: Agent, conversation_id: str, to_agent: str | None, to_skill: str | None
    ) -> None:
        """Hand the chat to a named agent (if they have room) or back to the queue for a skill."""
        conversation = self._owned(agent, conversation_id)
        if to_agent:
            target = self.presence.get(to_agent)
            if target is None or not target.routable or target.free <= 0:
                raise GatewayError("agent_unavailable", f"{to_agent} cannot take a chat now.")
            self.conversations.transition(conversation_id, "assigned", agent_id=to_agent)
            self._released(agent, conversation_id, "transferred")
            self._system(conversation_id, "transferred", "You're being transferred to a colleague.")
            self._assigned(conversation_id, to_agent)
            return
        self.queue.enqueue(
            conversation_id,
            conversation.priority or "normal",
            to_skill or conversation.skill or "general",
            front=True,
        )
        self._released(agent, conversation_id, "transferred")
        self._system(conversation_id, "transferred", "You're being transferred to a colleague.")
        self.route()

    def hand_back(
        self, agent: Agent, conversation_id: str, resume: bool, slots: dict[str, Any]
    ) -> None:
        """Return the chat to the bot: resume the task with corrected slots, or greet."""
        conversation = self._owned(agent, conversation_id)
        self.conversations.transition(conversation_id, "bot")
        self._released(agent, conversation_id, "returned_to_bot")
        self._record_handle_time(conversation)
        self._system(
            conversation_id, "returned_to_bot", f"{agent.name} handed you back to the assistant."
        )
        form = (conversation.packet or {}).get("active_form")
        try:
            if slots:
                self.rasa.set_slots(conversation_id, slots)
            if resume and form:
                self.rasa.set_slots(conversation_id, {"interrupted_form": form})
                replies = self.rasa.trigger(conversation_id, "EXTERNAL_resume_task")
            else:
                replies = self.rasa.trigger(conversation_id, "EXTERNAL_welcome_back")
        except RasaError:
            return
        for reply in replies:
            if reply.get("text"):
                self._bot_says(conversation_id, reply)
        self.route()

    def close(self, agent: Agent, conversation_id: str, resolution: str) -> None:
        """End the chat: archive it, free the agent, ask the customer for a rating."""
        if resolution not in RESOLUTIONS:
            raise GatewayError("bad_resolution", f"Resolution is one of {', '.join(RESOLUTIONS)}.")
        conversation = self._owned(agent, conversation_id)
        closed = self.conversations.transition(conversation_id, "closed", resolution=resolution)
        self._released(agent, conversation_id, "closed", resolution=resolution)
        self._record_handle_time(conversation)
        notice = self._status_line(
            conversation_id,
            "closed",
            "This chat has ended. How would you rate it, from 1 (poor) to 5 (excellent)?",
            csat_request=True,
        )
        # Archived before the customer can answer, so their rating is never overwritten.
        self.archive.archive(closed, self.transcripts.all(conversation_id))
        self._announce(conversation_id, notice)
        self.route()

    def _released(self, agent: Agent, conversation_id: str, why: str, **data: Any) -> None:
        """Tell the agent's consoles the chat is no longer theirs, and why."""
        self.emit(
            "released",
            {"conversation_id": conversation_id, "why": why, **data},
            to=agent_room(agent.id),
            namespace=AGENTS,
        )

    def _record_handle_time(self, conversation: Conversation) -> None:
        if conversation.assigned_at:
            self.queue.record_handle_time(time.time() - conversation.assigned_at)

    # --- housekeeping ------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Every second: requeue chats of agents gone past the grace period; raise SLA breaches;
        push queue changes."""
        for agent_id in self.presence.grace_expired(self.grace_seconds, now):
            for conversation_id in sorted(self.presence.chats(agent_id)):
                conversation = self.conversations.get(conversation_id)
                self.queue.enqueue(
                    conversation_id,
                    conversation.priority or "normal",
                    conversation.skill or "general",
                    front=True,
                )
                self._system(
                    conversation_id,
                    "requeued",
                    "Sorry, your agent was disconnected. You're first in line for the next one.",
                )
            self.presence.offline(agent_id)
            self.route()
        for entry in self.queue.overdue(self.sla_seconds):
            if self._redis.set(sla_raised_key(entry.conversation_id), "1", nx=True, ex=86400):
                self.emit(
                    "sla_breach",
                    asdict(entry),
                    to=SUPERVISORS,
                    namespace=AGENTS,
                )
        # A safety net: a chat left waiting while an agent has room (a wake-up lost between
        # threads or gateway processes) is routed within a second.
        if self._route_waiting():
            self._queue_changed()
        if self._redis.getdel(QUEUE_CHANGED_KEY):
            self.push_queue()
