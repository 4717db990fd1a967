"""Socket.IO clients of the handoff gateway: a customer's widget and an agent's console.

They speak the protocol of docs/protocol.md over real sockets and record every
event they receive, so a caller can wait for the one it expects. The gateway
tests, the benchmarks and the editors' conversation tests
(``bot/conversation_tests.py``) all drive the gateway through them.

Every event is checked against the protocol schema (handoff/protocol.py): one the
schema refuses is not sent (``emit_raw`` sends bad input on purpose), and one
received is reported at the next wait, or by ``check_protocol``.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Callable
from typing import Any

import engineio
import requests
import socketio

from bot.balancer import STICKY_COOKIE
from bot.stack import Stack
from handoff.protocol import ProtocolViolation, check_from_client, check_from_gateway

Event = tuple[str, Any]


class NoReply(AssertionError):
    """The event waited for did not come in time (an assertion, so tests report it as one)."""


def has_text(text: str) -> Callable[[Any], bool]:
    """A `wait_for` filter: the event's `text` is exactly ``text``."""
    return lambda data: bool(data.get("text") == text)


class _InOrderEngineIO(engineio.Client):
    """Hands each message on in the read loop, as it arrived.

    python-engineio's client starts a thread per message, so two events sent close together
    (an agent's `state`, then a chat routed to them) could reach the handler in either order.
    Our handler only queues the event, so running it in the read loop costs nothing.
    """

    def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("run_async", None)
        return super()._trigger_event(event, *args, **kwargs)


class _InOrderSocketIO(socketio.Client):
    """A Socket.IO client whose events come in the order the gateway sent them."""

    def _engineio_client_class(self) -> type[engineio.Client]:
        return _InOrderEngineIO


class Client:
    """One socket that records every event it receives, for tests to wait on."""

    namespace = "/"

    def __init__(
        self, stack: Stack, transport: str = "websocket", gateway: str | None = None
    ) -> None:
        """``transport``: ``websocket`` or ``polling`` (long-polling only, as old widgets do).

        ``gateway`` pins the socket to one gateway behind the balancer (``gateway-2``) with
        the balancer's sticky cookie, as if an earlier request had landed there.
        """
        self.stack = stack
        self.transport = transport
        self.gateway = gateway
        self.sio: socketio.Client = _InOrderSocketIO(reconnection=False)
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        # Received events the schema refuses, not yet raised to the test.
        self.violations: list[ProtocolViolation] = []

    def _record(self, event: str, *args: Any) -> None:
        try:
            check_from_gateway(self.namespace, event, args)
        except ProtocolViolation as violation:
            self.violations.append(violation)
        # One argument is the event's data; several (``session_confirm``'s) are kept as a tuple.
        self.events.put((event, args[0] if len(args) == 1 else (args or None)))

    def check_protocol(self) -> None:
        """Raise the first event received so far that the schema refuses (once)."""
        if self.violations:
            first, more = self.violations[0], len(self.violations) - 1
            self.violations.clear()
            raise ProtocolViolation(
                first.namespace,
                first.side,
                first.event,
                first.where,
                first.problem + (f" (and {more} more)" if more else ""),
            )

    def connect(self, origin: str | None = None, **kwargs: Any) -> None:
        # The browser's Origin header, as the websocket client sends it.
        origin = origin or self.stack.settings.allowed_origins[0]
        self.sio = _InOrderSocketIO(
            reconnection=False,
            websocket_extra_options={"origin": origin},
            http_session=self.http_session(),
        )
        self.sio.on("*", self._record, namespace=self.namespace)
        self.sio.connect(
            self.stack.gateway_url,
            namespaces=[self.namespace],
            transports=[self.transport],
            wait_timeout=10,
            # WebSocket sends the origin above; long-polling requests carry it as a header.
            headers={"Origin": origin} if self.transport == "polling" else {},
            **kwargs,
        )

    def http_session(self) -> requests.Session:
        """Where the balancer's sticky cookie lives, as in a browser: set ahead when pinned."""
        session = requests.Session()
        session.trust_env = False
        if self.gateway:
            session.cookies.set(STICKY_COOKIE, self.gateway)
        return session

    def emit(self, event: str, data: Any = None) -> None:
        """Send an event; one the schema refuses raises ``ProtocolViolation`` instead."""
        check_from_client(self.namespace, event, [] if data is None else [data])
        self.sio.emit(event, data, namespace=self.namespace)

    def emit_raw(self, event: str, data: Any = None) -> None:
        """Send an event unchecked: bad input, on purpose."""
        self.sio.emit(event, data, namespace=self.namespace)

    def wait_for(
        self, event: str, where: Callable[[Any], bool] = lambda data: True, timeout: float = 15
    ) -> Any:
        """The next `event` whose data passes `where`; earlier others are kept in `seen`."""
        _, data = self.next_event((event,), where, timeout)
        return data

    def next_event(
        self,
        events: tuple[str, ...],
        where: Callable[[Any], bool] = lambda data: True,
        timeout: float = 15,
    ) -> Event:
        """The next of ``events`` passing `where`, with its name; earlier others kept in `seen`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = " or ".join(repr(event) for event in events)
                raise NoReply(f"no {wanted} within {timeout} s; got {self.seen[-10:]}")
            try:
                name, data = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            self.check_protocol()
            self.seen.append((name, data))
            if name in events and where(data):
                return name, data

    def drain(self, settle: float = 0.3) -> list[Event]:
        """Everything received until the socket has been quiet for `settle` seconds."""
        got: list[Event] = []
        while True:
            try:
                item = self.events.get(timeout=settle)
            except queue.Empty:
                return got
            self.check_protocol()
            self.seen.append(item)
            got.append(item)

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


class Customer(Client):
    """A chat widget speaking the Rasa SocketIO protocol plus Tandem's additions.

    It keeps the resume secret the gateway gave with a new conversation, resumes its own
    conversation with it, and sends a client message id with every line.
    """

    session_id = ""  # until the gateway confirms one
    resume_secret: str | None = None

    def start(
        self,
        session_id: str | None = None,
        last_seq: int = 0,
        resume_secret: str | None = None,
        **more: Any,
    ) -> dict:
        """Connect and open (or resume) a conversation; return the `history` event.

        Resuming needs the conversation's resume secret: this client's own when
        ``session_id`` is its conversation, else ``resume_secret``.
        """
        if not self.sio.connected:
            self.connect()
        if resume_secret is None and session_id and session_id == self.session_id:
            resume_secret = self.resume_secret
        # Tandem's widget shows `handoff` events; ``handoff_events=False`` plays a Rasa widget.
        request = {"session_id": session_id, "last_seq": last_seq, "handoff_events": True, **more}
        if resume_secret is not None:
            request["resume_secret"] = resume_secret
        self.emit("session_request", request)
        confirmed = self.wait_for("session_confirm")
        if isinstance(confirmed, tuple):  # a new conversation: its id, then its resume secret
            confirmed, extra = confirmed[0], confirmed[1]
            self.resume_secret = extra.get("resume_secret") if isinstance(extra, dict) else None
        elif confirmed != session_id:
            self.resume_secret = None
        self.session_id = confirmed
        history: dict = self.wait_for("history")
        return history

    def say(self, text: str, message_id: str | None = None) -> str:
        """Send a line with a client message id (new unless given, for a resend); the id."""
        message_id = message_id or uuid.uuid4().hex
        self.emit(
            "user_uttered",
            {"message": text, "session_id": self.session_id, "message_id": message_id},
        )
        return message_id

    def bot_says(self, contains: str, timeout: float = 20) -> dict:
        reply: dict = self.wait_for(
            "bot_uttered", lambda d: contains in (d.get("text") or ""), timeout
        )
        return reply

    def status(self, status: str, timeout: float = 15) -> dict:
        change: dict = self.wait_for("handoff", lambda d: d.get("status") == status, timeout)
        return change


def sender(message: dict) -> str | None:
    """Who wrote a line customers receive: "customer", "bot", "agent" or "system"."""
    return (message.get("metadata") or {}).get("sender")


class AgentClient(Client):
    """The agent console: logs in over HTTP, then connects to `/agent` with the token."""

    namespace = "/agent"
    agent_id = ""  # once logged in

    def login(self, login: str, password: str) -> dict:
        response = requests.post(
            f"{self.stack.gateway_url}/agent/login",
            json={"login": login, "password": password},
            headers={"Origin": self.stack.settings.allowed_origins[0]},
            cookies={STICKY_COOKIE: self.gateway} if self.gateway else None,
            timeout=10,
        )
        response.raise_for_status()
        self.connect(auth={"token": response.json()["token"]})
        # The gateway routes no chat to a console before its state (the 50-agent race
        # shows it): an `assigned` that came first would be left behind in `seen`.
        state: dict = self.wait_for("state")
        self.agent_id = state["agent"]["id"]
        return state

    def act(self, event: str, **data: Any) -> None:
        self.emit(event, data)

    def set_status(self, status: str) -> None:
        """Become available or away, and wait until the gateway has made it so."""
        self.emit("set_status", {"status": status})
        self.wait_for("status", lambda data: data.get("status") == status)

    def error(self, code: str) -> dict:
        error: dict = self.wait_for("error", lambda d: d.get("code") == code)
        return error
