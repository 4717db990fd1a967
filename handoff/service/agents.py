"""The agent side: an agent comes and goes, takes chats, writes, and hands them on or back.

Agents act only on their own chats (supervisors too); ``owned`` is that rule,
used by the socket events and the console's HTTP API alike. Each action on a chat
sent with a client message id is applied once (``commands.once``): a repeat is
answered with the event the first got.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from core.task_values import SlotRefused, corrected_slots
from core.vocabulary import RESOLUTIONS
from handoff.rasa_client import RasaClient, RasaError
from handoff.records.agents import Agent
from handoff.records.archive import Archive, InvalidEmail, checked_email
from handoff.records.tickets import Tickets
from handoff.service.commands import Answer, once, with_message_id
from handoff.service.errors import GatewayError
from handoff.service.handoffs import Handoffs, queue_summary
from handoff.service.relay import Relay, agent_view, customer_view
from handoff.stores import Stores
from handoff.stores.conversations import Conversation
from handoff.stores.presence import AgentState
from handoff.stores.queue import AtCapacity, NotQueued

log = logging.getLogger(__name__)
SESSION_ENDED = "Your session has ended (you logged out, or your account changed); log in again."


@dataclass
class AgentService:
    """What happens when an agent connects, sets a status, or acts on a chat."""

    stores: Stores
    relay: Relay
    handoffs: Handoffs
    rasa: RasaClient
    archive: Archive
    tickets: Tickets
    process_id: str  # this gateway process's, for presence

    def online(self, agent: Agent, deliver: Callable[[dict[str, Any]], None]) -> None:
        """An agent connected (or came back within the grace period): ``deliver`` their chats
        and the queue to the console, then route.

        No chat is routed to them between reading their chats and delivering them, so a new
        chat always reaches the console after its state, never before it or lost from it.
        """
        presence = self.stores.presence
        presence.held(self.process_id, agent.id, time.time())
        state = presence.online(agent.id, agent.name, agent.skills, agent.capacity, joining=True)
        chats = [self.handoffs.chat_for_agent(c) for c in sorted(presence.chats(agent.id))]
        queue = queue_summary(self.stores.queue.entries())
        try:
            deliver(
                {
                    "agent": asdict(agent),
                    "status": state.status,
                    "chats": chats,
                    "queue": queue["entries"],
                    "queue_length": queue["length"],
                }
            )
        finally:
            # Even if it could not be sent: a console left joining would never get a chat.
            presence.ready(agent.id)
        self.handoffs.route()

    def disconnected(self, agent_id: str) -> None:
        """Keep their chats for the grace period; housekeeping requeues them after it."""
        self.stores.presence.released(self.process_id, agent_id)
        self.stores.presence.disconnected(agent_id, time.time())

    def logged_out(self, agent_id: str) -> None:
        """The agent left on purpose: gone at once (not "disconnected"), their chats back to
        the front of the queue for a colleague rather than waiting out the grace period."""
        if self.stores.presence.get(agent_id) is None:
            return
        self.handoffs.agent_gone(
            agent_id, "Sorry, your agent had to leave. You're back at the front of the line."
        )

    def connected_colleagues(self) -> list[AgentState]:
        """Agents connected now, for transfers: who is available and how busy."""
        return [a for a in self.stores.presence.all() if a.disconnected_at is None]

    def set_status(self, agent: Agent, status: str) -> None:
        if status not in ("available", "away"):
            raise GatewayError("bad_status", "Status is 'available' or 'away'.")
        self.stores.presence.set_status(agent.id, status)
        # Every console of the agent shows it, and a client knows when it has taken effect.
        self.relay.to_agent(agent.id, "status", {"status": status})
        if status == "available":
            self.handoffs.route()

    def owned(self, agent: Agent, conversation_id: str) -> Conversation:
        """The conversation, if this agent owns it (supervisors too act only on their own)."""
        conversation = self.stores.conversations.get(conversation_id)
        if conversation.mode != "assigned" or conversation.agent_id != agent.id:
            raise GatewayError("not_your_conversation", "This conversation is not assigned to you.")
        return conversation

    def _once(
        self,
        agent: Agent,
        conversation_id: str,
        message_id: str | None,
        apply: Callable[[], Answer],
    ) -> None:
        """Apply an action of the agent on a chat once per message id; a repeat is answered
        with the first one's answer, to every console of the agent."""
        once(
            self.stores.commands,
            conversation_id,
            f"agent:{agent.id}",
            message_id,
            apply,
            lambda event, payload: self.relay.to_agent(agent.id, event, payload),
        )

    def accept(self, agent: Agent, conversation_id: str, message_id: str | None = None) -> None:
        """An agent picks a chat from the queue by hand."""

        def apply() -> Answer:
            try:
                self.stores.queue.claim(conversation_id, agent.id)
            except NotQueued as error:
                raise GatewayError("not_queued", "Someone else has taken this chat.") from error
            except AtCapacity as error:
                raise GatewayError(
                    "at_capacity", "You have as many chats as you can take."
                ) from error
            chat = self.handoffs.assigned(conversation_id, agent.id, message_id)
            self.handoffs.queue_changed()
            return "assigned", chat

        self._once(agent, conversation_id, message_id, apply)

    def says(
        self, agent: Agent, conversation_id: str, text: str, message_id: str | None = None
    ) -> None:
        """The agent writes to the customer; their other consoles see it too."""
        self._write(agent, conversation_id, "agent", text, message_id)

    def _write(
        self, agent: Agent, conversation_id: str, kind: str, text: str, message_id: str | None
    ) -> None:
        """Keep the agent's line (``agent``, which the customer is sent) or note, once per message
        id, with that id; every console of the agent sees it."""

        def apply() -> Answer:
            self.owned(agent, conversation_id)
            message = self.stores.transcripts.append(
                conversation_id, kind, text, sender=agent.name, data=with_message_id(message_id)
            )
            if kind == "agent":
                self.stores.conversations.set_fields(
                    conversation_id, first_agent_reply_at=message.at
                )
                self.relay.to_customer(conversation_id, "bot_uttered", customer_view(message))
            self.relay.line_to_agent(agent.id, conversation_id, message)
            return "message", agent_view(conversation_id, message)

        self._once(agent, conversation_id, message_id, apply)

    def typing(self, agent: Agent, conversation_id: str, typing: bool) -> None:
        self.owned(agent, conversation_id)
        self.relay.to_customer(conversation_id, "typing", {"sender": "agent", "typing": typing})

    def note(
        self, agent: Agent, conversation_id: str, text: str, message_id: str | None = None
    ) -> None:
        """An internal note: for agents and supervisors, never the customer."""
        self._write(agent, conversation_id, "note", text, message_id)

    def resume(
        self, agent: Agent, conversation_id: str, last_seq: int, before_seq: int | None = None
    ) -> dict[str, Any]:
        """A page of a chat of theirs (any chat, for a supervisor) after ``last_seq`` and below
        ``before_seq``: the newest lines, and ``has_more`` if older ones are left."""
        if agent.role != "supervisor":
            self.owned(agent, conversation_id)
        return self.handoffs.transcript_page(conversation_id, last_seq, before_seq)

    def customer_history(self, agent: Agent, conversation_id: str) -> list[dict[str, Any]]:
        """The past conversations and tickets of a chat's verified customer (a chat of theirs;
        any chat, for a supervisor); none for a guest, whose past cannot be told apart."""
        if agent.role == "supervisor":
            conversation = self.stores.conversations.get(conversation_id)
        else:
            conversation = self.owned(agent, conversation_id)
        customer_id = conversation.verified_customer_id
        if customer_id is None:
            return []
        return self.archive.customer_history(customer_id, leave_out=conversation_id)

    def transfer(
        self,
        agent: Agent,
        conversation_id: str,
        to_agent: str | None,
        to_skill: str | None,
        message_id: str | None = None,
    ) -> None:
        """Hand the chat to a named agent (if they have room) or back to the queue for a skill."""

        def apply() -> Answer:
            conversation = self.owned(agent, conversation_id)
            if to_agent:
                target = self.stores.presence.get(to_agent)
                if target is None or not target.routable or target.free <= 0:
                    raise GatewayError("agent_unavailable", f"{to_agent} cannot take a chat now.")
                self.stores.conversations.transition(conversation_id, "assigned", agent_id=to_agent)
                released = self._released(agent, conversation_id, "transferred", message_id)
                self._tell_transferred(conversation_id)
                self.handoffs.assigned(conversation_id, to_agent)
                return released
            self.handoffs.requeue(conversation, skill=to_skill)
            released = self._released(agent, conversation_id, "transferred", message_id)
            self._tell_transferred(conversation_id)
            self.handoffs.route()
            return released

        self._once(agent, conversation_id, message_id, apply)

    def _tell_transferred(self, conversation_id: str) -> None:
        self.relay.system(
            conversation_id, "transferred", "You're being transferred to a colleague."
        )

    def hand_back(
        self,
        agent: Agent,
        conversation_id: str,
        resume: bool,
        slots: dict[str, Any],
        message_id: str | None = None,
    ) -> None:
        """Return the chat to the bot: resume the task with corrected slots, or greet.

        Only task slots may be corrected, each by the bot's own rule; anything else is
        refused before anything changes, and logged (it may be a stolen session at work).
        """
        self._once(
            agent,
            conversation_id,
            message_id,
            lambda: self._hand_back(agent, conversation_id, resume, slots, message_id),
        )

    def _hand_back(
        self,
        agent: Agent,
        conversation_id: str,
        resume: bool,
        slots: dict[str, Any],
        message_id: str | None,
    ) -> Answer:
        conversation = self.owned(agent, conversation_id)
        try:
            slots = corrected_slots(slots)
        except SlotRefused as refused:
            log.warning(
                "Agent %s tried to set slot %r of %s on hand-back: refused.",
                agent.id,
                refused.slot,
                conversation_id,
            )
            raise GatewayError("slot_refused", str(refused)) from refused
        self.stores.conversations.transition(conversation_id, "bot")
        released = self._released(agent, conversation_id, "returned_to_bot", message_id)
        self.handoffs.record_handle_time(conversation)
        self.relay.system(
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
            return released
        for reply in replies:
            if reply.get("text"):
                self.relay.bot_says(conversation_id, reply)
        self.handoffs.route()
        return released

    def close(
        self,
        agent: Agent,
        conversation_id: str,
        resolution: str,
        message_id: str | None = None,
        follow_up_email: str | None = None,
    ) -> None:
        """End the chat: archive it, free the agent, ask the customer for a rating; with
        ``follow_up_email``, a ticket assigned to the agent, its reference mailed there."""
        if resolution not in RESOLUTIONS:
            raise GatewayError("bad_resolution", f"Resolution is one of {', '.join(RESOLUTIONS)}.")
        if follow_up_email is not None:
            try:
                follow_up_email = checked_email(follow_up_email)
            except InvalidEmail as error:
                raise GatewayError("bad_email", str(error)) from error
        self._once(
            agent,
            conversation_id,
            message_id,
            lambda: self._close(agent, conversation_id, resolution, message_id, follow_up_email),
        )

    def _close(
        self,
        agent: Agent,
        conversation_id: str,
        resolution: str,
        message_id: str | None,
        follow_up_email: str | None,
    ) -> Answer:
        conversation = self.owned(agent, conversation_id)
        closed = self.stores.conversations.transition(
            conversation_id, "closed", resolution=resolution
        )
        ticket: dict[str, str] = {}
        if follow_up_email is not None:
            ticket["ticket"] = self.tickets.create(
                conversation_id,
                follow_up_email,
                time.time(),
                priority=closed.priority,
                skill=closed.skill,
                assignee=agent.id,
                after_chat=True,
            )
        released = self._released(
            agent, conversation_id, "closed", message_id, resolution=resolution, **ticket
        )
        self.handoffs.record_handle_time(conversation)
        notice = self.relay.status_line(
            conversation_id,
            "closed",
            "This chat has ended. How would you rate it, from 1 (poor) to 5 (excellent)?",
            csat_request=True,
        )
        # Archived before the customer can answer, so their rating is never overwritten.
        self.archive.archive(closed, self.stores.transcripts.all(conversation_id))
        self.relay.announce(conversation_id, notice)
        self.handoffs.route()
        return released

    def session_ended(self, agent_id: str, reason: str) -> None:
        """Tell every console of the agent, in every gateway process, that it must log in again."""
        self.relay.to_agent(agent_id, "session_ended", {"reason": reason, "message": SESSION_ENDED})

    def _released(
        self,
        agent: Agent,
        conversation_id: str,
        why: str,
        message_id: str | None = None,
        **data: Any,
    ) -> Answer:
        """Tell the agent's consoles the chat is no longer theirs, and why (and which of their
        actions did it, by its message id); the event as sent."""
        released = {
            "conversation_id": conversation_id,
            "why": why,
            **data,
            **with_message_id(message_id),
        }
        self.relay.to_agent(agent.id, "released", released)
        return "released", released
