"""The agents' namespace (`/agent`): only logged-in agents connect; each acts on their own chats.

Agents log in over HTTP (handoff/auth.py) and connect with ``auth={"token": ...}`` or
the session cookie, from the gateway's own pages only. Every event names a
`conversation_id`; acting on a conversation that is not yours is refused with
`error {"code": "not_your_conversation"}`. A session that ended (logout, role change,
account removed) is refused on its next event and swept within a second, in every
gateway process, with `session_ended` before the socket is closed. See docs/protocol.md.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, join_room

from handoff.auth import LoginTokens, from_own_origin, socket_agent
from handoff.records.agents import Agent, AgentDirectory, AgentError
from handoff.service.agents import SESSION_ENDED
from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway
from handoff.service.relay import AGENTS, ALL_AGENTS, SUPERVISORS, agent_room
from handoff.sockets.namespace import GatewayNamespace, field, message_id, optional, text_field

log = logging.getLogger(__name__)
# How often each process looks for its sockets whose session has ended elsewhere.
SWEEP_SECONDS = 1.0


def conversation_field(data: Any) -> str:
    value = field(data, "conversation_id")
    if not isinstance(value, str) or not value:
        raise GatewayError("bad_payload", "'conversation_id' must be a non-empty string.")
    return value


class AgentNamespace(GatewayNamespace):
    """Events from the agent console."""

    def __init__(self, gateway: Gateway, directory: AgentDirectory, tokens: LoginTokens) -> None:
        super().__init__(AGENTS, gateway)
        self.directory = directory
        self.tokens = tokens
        # Each socket's agent and the session generation it connected with.
        self._agents: dict[str, tuple[Agent, int]] = {}
        self._agents_lock = threading.Lock()
        self._sweeping = False

    def _agent(self) -> Agent:
        """The socket's agent, if their session is still the current one."""
        with self._agents_lock:
            held = self._agents.get(request.sid)  # type: ignore[attr-defined]
        if held is None:  # pragma: no cover - connect refuses anonymous sockets
            raise GatewayError("not_logged_in", "Log in first.")
        agent, generation = held
        try:
            self.directory.in_session(agent.id, generation)
        except AgentError as error:
            raise GatewayError("session_ended", SESSION_ENDED) from error
        return agent

    def on_connect(self, auth: Any = None) -> None:
        """Only agents with a valid login token or session, on the console's own pages."""
        if not from_own_origin():
            raise ConnectionRefusedError("Agents connect only from the console's own pages.")
        found = socket_agent(auth, self.directory, self.tokens)
        if found is None:
            raise ConnectionRefusedError("Log in at /agent/login first.")
        agent = found[0]
        with self._agents_lock:
            self._agents[request.sid] = found  # type: ignore[attr-defined]
            start_sweeping, self._sweeping = not self._sweeping, True
        if start_sweeping:
            self.socketio.start_background_task(self._sweep_forever)
        join_room(agent_room(agent.id))
        join_room(ALL_AGENTS)
        if agent.role == "supervisor":
            join_room(SUPERVISORS)
        self.gateway.agents.online(agent, lambda state: self.reply("state", state))

    def on_disconnect(self, reason: Any = None) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        with self._agents_lock:
            held = self._agents.pop(sid, None)
        self.forget(sid)
        if held is not None:
            self.gateway.agents.disconnected(held[0].id)

    def _refuse(self, sid: str | None, event: str, error: GatewayError) -> None:
        if error.code == "session_ended" and sid:
            self._end(sid, error, event)
        else:
            super()._refuse(sid, event, error)

    def _end(self, sid: str, error: GatewayError | None = None, event: str | None = None) -> None:
        """Tell one socket of this process its session is over, then close it.

        Sent straight to the socket (not through the message queue), so it arrives
        before the socket is closed.
        """
        server = self.socketio.server
        if error is not None:
            payload = {"code": error.code, "message": str(error), "event": event}
            server.emit("error", payload, to=sid, namespace=self.namespace, ignore_queue=True)
        ended = {"reason": "revoked", "message": SESSION_ENDED}
        server.emit("session_ended", ended, to=sid, namespace=self.namespace, ignore_queue=True)
        server.disconnect(sid, namespace=self.namespace, ignore_queue=True)

    def sweep(self) -> None:
        """Close this process's sockets whose session ended (anywhere, by anyone)."""
        with self._agents_lock:
            held = dict(self._agents)
        current = self.directory.generations(agent.id for agent, _ in held.values())
        for sid, (agent, generation) in held.items():
            if current.get(agent.id) != generation:
                log.info("Closing a socket of %s: their session has ended.", agent.id)
                self._end(sid)

    def _sweep_forever(self) -> None:
        while True:
            self.socketio.sleep(SWEEP_SECONDS)
            try:
                self.sweep()
            except Exception:  # a database hiccup must not stop the next sweeps
                log.exception("Sweeping ended agent sessions failed; trying again.")

    def on_set_status(self, data: Any = None) -> None:
        """The agent is available for chats, or away."""
        self.gateway.agents.set_status(self._agent(), text_field(data, "status"))

    def on_accept(self, data: Any = None) -> None:
        """The agent takes a waiting chat from the queue."""
        self.gateway.agents.accept(self._agent(), conversation_field(data), message_id(data))

    def on_send(self, data: Any = None) -> None:
        """The agent writes to the customer."""
        self.gateway.agents.says(
            self._agent(), conversation_field(data), text_field(data, "text"), message_id(data)
        )

    def on_typing(self, data: Any = None) -> None:
        """The agent started or stopped typing."""
        typing = field(data, "typing")
        if not isinstance(typing, bool):
            raise GatewayError("bad_payload", "'typing' must be true or false.")
        self.gateway.agents.typing(self._agent(), conversation_field(data), typing)

    def on_note(self, data: Any = None) -> None:
        """An internal note on the chat, never shown to the customer."""
        self.gateway.agents.note(
            self._agent(), conversation_field(data), text_field(data, "text"), message_id(data)
        )

    def on_resume(self, data: Any = None) -> None:
        """After a reconnect, the newest page after `last_seq`; with `before_seq`, older lines."""
        conversation_id = conversation_field(data)
        last_seq = optional(data, "last_seq", int, 0)
        before_seq = optional(data, "before_seq", int)
        page = self.gateway.agents.resume(self._agent(), conversation_id, last_seq, before_seq)
        self.reply("missed", {"conversation_id": conversation_id, **page})

    def on_transfer(self, data: Any = None) -> None:
        """Pass the chat to an agent (`to_agent`) or back to the queue for a skill (`to_skill`)."""
        to_agent = optional(data, "to_agent", str)
        to_skill = optional(data, "to_skill", str)
        if not (to_agent or to_skill):
            raise GatewayError("bad_payload", "Give 'to_agent' or 'to_skill'.")
        self.gateway.agents.transfer(
            self._agent(), conversation_field(data), to_agent, to_skill, message_id(data)
        )

    def on_hand_back(self, data: Any = None) -> None:
        """Return the customer to the bot: `resume` the interrupted task with corrected `slots`."""
        resume = optional(data, "resume", bool, False)
        slots = optional(data, "slots", dict, {})
        self.gateway.agents.hand_back(
            self._agent(), conversation_field(data), resume, slots, message_id(data)
        )

    def on_close(self, data: Any = None) -> None:
        """End the chat with a resolution, and a ticket if the agent will follow up by email;
        the customer is asked for a rating."""
        self.gateway.agents.close(
            self._agent(),
            conversation_field(data),
            text_field(data, "resolution"),
            message_id(data),
            optional(data, "follow_up_email", str),
        )
