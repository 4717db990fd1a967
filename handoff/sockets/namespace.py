"""What both Socket.IO audiences share: unknown events, bad payloads and floods get an `error`.

Handlers raise ``GatewayError``; the client receives
``error {"code", "message", "event"}`` and nothing else changes. Every event a
client sends pays the connection's rate limiter before anything else looks at it,
whatever its name or shape; `connect` and `disconnect` sent as events are refused
(only the server's own connection handling may run them). Each client address may
hold ``MAX_CONNECTIONS_PER_CLIENT`` sockets at once, counted in Redis.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, emit

from handoff.service.commands import MESSAGE_ID
from handoff.service.errors import GatewayError
from handoff.service.gateway import Gateway

log = logging.getLogger(__name__)
# A message longer than this is refused (the widget limits typing to it too).
MAX_TEXT = 5000
# Per connection: a burst of BURST events, refilled at RATE events a second.
BURST = 10
RATE = 2.0
# Run by the server when a socket comes and goes; a client may not send them as events.
LIFECYCLE = ("connect", "disconnect")
UNAVAILABLE = "We could not take that just now; please send it again in a moment."
# An event name longer than this is cut short when an `error` names it.
ECHOED_NAME = 64


class TokenBucket:
    """Allows short bursts, then a steady rate; one per connection, in this process."""

    def __init__(self, burst: int = BURST, rate: float = RATE) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def text_field(data: Any, name: str = "message") -> str:
    """A required, non-empty string field of at most MAX_TEXT characters, without NUL."""
    value = field(data, name)
    if not isinstance(value, str) or not value.strip():
        raise GatewayError("bad_payload", f"'{name}' must be a non-empty string.")
    if len(value) > MAX_TEXT:
        raise GatewayError(
            "message_too_long", f"'{name}' is {len(value)} characters; the limit is {MAX_TEXT}."
        )
    if "\x00" in value:
        # No text of the chat may hold NUL: PostgreSQL, where it is archived, cannot store it.
        raise GatewayError("bad_payload", f"'{name}' must not contain NUL characters.")
    return value


def field(data: Any, name: str) -> Any:
    """A field of an object payload; a missing one or a non-object payload is an error."""
    if not isinstance(data, dict):
        raise GatewayError("bad_payload", "The payload must be a JSON object.")
    if name not in data:
        raise GatewayError("bad_payload", f"'{name}' is missing.")
    return data[name]


def message_id(data: Any) -> str | None:
    """The event's client message id (``message_id``), if it has one: each command with one is
    applied once (service/commands.py). Without one, the command is applied as it comes."""
    value = optional(data, "message_id", str)
    if value is not None and not MESSAGE_ID.fullmatch(value):
        raise GatewayError("bad_payload", "'message_id' is 1 to 64 visible ASCII characters.")
    return value


def _echoed_id(args: tuple[Any, ...]) -> str | None:
    """The message id an `error` names: the refused event's, when it is a valid one."""
    data = args[1] if len(args) > 1 else None
    value = data.get("message_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and MESSAGE_ID.fullmatch(value) else None


def optional(data: Any, name: str, kind: type, default: Any = None) -> Any:
    """An optional field of the given type."""
    if not isinstance(data, dict) or data.get(name) is None:
        return default
    value = data[name]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise GatewayError("bad_payload", f"'{name}' must be of type {kind.__name__}.")
    return value


class GatewayNamespace(Namespace):
    """Dispatches events to ``on_<event>`` methods, turning every refusal into an `error` event."""

    def __init__(self, namespace: str, gateway: Gateway) -> None:
        super().__init__(namespace)
        self.gateway = gateway
        self._buckets: dict[str, TokenBucket] = {}
        self._clients: dict[str, str] = {}
        self._lock = threading.Lock()

    def trigger_event(self, event: Any, *args: Any) -> Any:
        sid = args[0] if args else None
        if event in LIFECYCLE and not self._is_connected(sid):
            # The server's own connect and disconnect: the socket is still pending.
            return self._connect(*args) if event == "connect" else self._disconnect(*args)
        if not self._bucket(sid).take():
            self.gateway.metrics.refusals.labels("events").inc()
            return self._refuse(
                sid, event, GatewayError("rate_limited", "Too many events; slow down a little.")
            )
        if event in LIFECYCLE:
            return self._refuse(
                sid, event, GatewayError("reserved_event", f"Clients may not send '{event}'.")
            )
        if not isinstance(event, str) or not hasattr(self, f"on_{event}"):
            name = str(event)[:ECHOED_NAME]
            return self._refuse(sid, event, GatewayError("unknown_event", f"No event '{name}'."))
        try:
            return super().trigger_event(event, *args)
        except GatewayError as error:
            error.message_id = _echoed_id(args)
            return self._refuse(sid, event, error)
        except redis.RedisError:
            # Redis restarting or out of reach: nothing was taken; the client may send it again.
            log.warning("Event %r refused: Redis is unavailable.", event, exc_info=True)
            unavailable = GatewayError("unavailable", UNAVAILABLE)
            unavailable.message_id = _echoed_id(args)
            return self._refuse(sid, event, unavailable)
        except Exception:
            # The client learns that it failed, never how: details stay in the log.
            log.exception("Event %r failed.", event)
            return self._refuse(
                sid, event, GatewayError("internal_error", "Something went wrong; please retry.")
            )

    def _is_connected(self, sid: str | None) -> bool:
        return bool(sid) and bool(self.socketio.server.manager.is_connected(sid, self.namespace))

    def _connect(self, sid: Any, *args: Any) -> Any:
        """Count the socket against its client's cap before the namespace's own checks."""
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace) or {}
        client = environ.get("REMOTE_ADDR") or "unknown"
        connections = self.gateway.stores.connections
        if not connections.opened(client):
            self.gateway.metrics.refusals.labels("connections").inc()
            raise ConnectionRefusedError(
                f"Too many connections from your address (the limit is {connections.cap}); "
                "close another chat window and try again."
            )
        try:
            accepted = super().trigger_event("connect", sid, *args)
        except BaseException:
            connections.closed(client)
            raise
        if accepted is False:
            connections.closed(client)
        else:
            with self._lock:
                self._clients[sid] = client
            self.gateway.metrics.sockets.labels(self.namespace).inc()
        return accepted

    def _disconnect(self, sid: Any, *args: Any) -> Any:
        with self._lock:
            client = self._clients.pop(sid, None)
        if client is not None:
            self.gateway.stores.connections.closed(client)
            self.gateway.metrics.sockets.labels(self.namespace).dec()
        return super().trigger_event("disconnect", sid, *args)

    def _bucket(self, sid: str | None) -> TokenBucket:
        with self._lock:
            return self._buckets.setdefault(sid or "", TokenBucket())

    def forget(self, sid: str) -> None:
        with self._lock:
            self._buckets.pop(sid, None)

    def _refuse(self, sid: str | None, event: Any, error: GatewayError) -> None:
        """Tell the socket whose event this was, straight from this process (it holds the
        socket), not through the message queue: so it arrives while Redis is down too."""
        name = event[:ECHOED_NAME] if isinstance(event, str) else None
        refusal = {"code": error.code, "message": str(error), "event": name}
        if error.message_id is not None:
            refusal["message_id"] = error.message_id
        self.socketio.server.emit(
            "error", refusal, to=sid, namespace=self.namespace, ignore_queue=True
        )

    @staticmethod
    def reply(event: str, data: Any) -> None:
        """Answer the client whose event is being handled."""
        emit(event, data, to=request.sid)  # type: ignore[attr-defined]
